// Never a blank screen (docs/architecture.md, "The renderer"): a render error in one view is shown in that
// view, with the message and a way back, while the rest of the window works.
import { Component, type ReactNode } from 'react';
// Error messages can quote a record's values (docs/architecture.md, "Display integrity").
import { Ev } from './Ev.tsx';

interface Props {
  /** Where the boundary sits, for the message ("timeline", "inspector"). */
  where: string;
  children: ReactNode;
  /** Changing this clears a previous error (e.g. the selected event). */
  resetKey?: unknown;
}

export class ErrorBoundary extends Component<Props, { error: Error | null; key: unknown }> {
  override state = { error: null as Error | null, key: undefined as unknown };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: { error: Error | null; key: unknown }) {
    if (props.resetKey !== state.key) return { error: null, key: props.resetKey };
    return null;
  }

  override componentDidCatch(error: Error) {
    console.warn(`TrailCase: the ${this.props.where} failed to render: ${error.message}`);
  }

  override render() {
    if (this.state.error) {
      return (
        <div className="error-box" role="alert">
          <strong>The {this.props.where} could not be shown.</strong>
          <pre>
            <Ev v={this.state.error.message} max={4000} keepLayout />
          </pre>
          <button onClick={() => this.setState({ error: null })}>Try again</button>
        </div>
      );
    }
    return this.props.children;
  }
}

/** An error where it happened: the message of a failed call, with an optional retry. */
export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div className="error-box" role="alert">
      <span>
        <Ev v={msg} max={4000} keepLayout />
      </span>
      {retry && <button onClick={retry}>Retry</button>}
    </div>
  );
}
