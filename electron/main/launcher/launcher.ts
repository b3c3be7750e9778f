// The desktop shell's start page (docs/packaging.md), shown while no case is open: the
// examiner's key on first use (create, or unlock; optionally remembered by
// the OS keychain), then new case / open case / recent cases. Runs in the
// sandboxed window with only window.trailcase (the preload's typed API); the
// main process loads the UI once a case is open. Plain DOM, no framework:
// it is a handful of forms. Bundled by build/bundle-app.ts to shell/launcher.js.
import type { RendererApi } from '../../../shared/api/index.ts';
import type { KeyStatus, RecentCase } from '../../../shared/api/app.ts';

declare global {
  interface Window {
    trailcase?: RendererApi;
  }
}

type Child = Node | string | null | undefined | false;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === 'className') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const content = document.getElementById('content')!;
const errorBox = document.getElementById('error')!;

function showError(e: unknown): void {
  errorBox.textContent = e instanceof Error ? e.message : String(e);
  errorBox.hidden = false;
}
function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** Run an action with the form's buttons disabled; errors are shown, never swallowed. */
async function busy(form: HTMLElement, fn: () => Promise<void>): Promise<void> {
  clearError();
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  try {
    await fn();
  } catch (e) {
    showError(e);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

function rememberBox(status: KeyStatus): { box: HTMLElement; input: HTMLInputElement } {
  const input = el('input', { type: 'checkbox', id: 'remember', disabled: !status.canRemember });
  const box = el(
    'div',
    {},
    el('label', { className: 'check', for: 'remember' }, input, 'Remember the passphrase on this computer (kept encrypted by the operating system)'),
    !status.canRemember && el('p', { className: 'note', text: `Not available here (${status.storage}): no OS keychain protects it, so TrailCase asks each session.` }),
  );
  return { box, input };
}

function createKeyForm(api: RendererApi, status: KeyStatus): HTMLElement {
  const name = el('input', { type: 'text', id: 'examiner', autocomplete: 'name', required: true });
  const pass = el('input', { type: 'password', id: 'pass', autocomplete: 'new-password', minlength: 8, required: true });
  const pass2 = el('input', { type: 'password', id: 'pass2', autocomplete: 'new-password', minlength: 8, required: true });
  const remember = rememberBox(status);
  const form: HTMLFormElement = el(
    'form',
    {
      onSubmit: (ev: Event) => {
        ev.preventDefault();
        void busy(form, async () => {
          if (pass.value !== pass2.value) throw new Error('The two passphrases differ.');
          if (pass.value.length < 8) throw new Error('The passphrase must be at least 8 characters.');
          await api.createKey({ examiner: name.value.trim(), passphrase: pass.value, remember: remember.input.checked });
          await render(api);
        });
      },
    },
    el('h2', { text: 'Create your examiner key' }),
    el('p', {
      className: 'note',
      text: 'Everything you do to a case is logged and signed with this key (Ed25519). Its private part is stored encrypted with your passphrase; the command line (trailcase) uses the same key.',
    }),
    el('label', { for: 'examiner', text: 'Your name, as it should appear in custody logs and reports' }),
    name,
    el('label', { for: 'pass', text: 'Passphrase (at least 8 characters)' }),
    pass,
    el('label', { for: 'pass2', text: 'Repeat the passphrase' }),
    pass2,
    remember.box,
    el('button', { type: 'submit', text: 'Create key' }),
  );
  return form;
}

function unlockForm(api: RendererApi, status: KeyStatus): HTMLElement {
  const pass = el('input', { type: 'password', id: 'pass', autocomplete: 'current-password', required: true });
  const remember = rememberBox(status);
  const form: HTMLFormElement = el(
    'form',
    {
      onSubmit: (ev: Event) => {
        ev.preventDefault();
        void busy(form, async () => {
          await api.unlockKey({ passphrase: pass.value, remember: remember.input.checked });
          await render(api);
        });
      },
    },
    el('h2', { text: `Unlock the key of ${status.examiner ?? 'the examiner'}` }),
    el('label', { for: 'pass', text: 'Passphrase' }),
    pass,
    remember.box,
    el('button', { type: 'submit', text: 'Unlock' }),
  );
  return form;
}

function casesView(api: RendererApi, status: KeyStatus, recent: RecentCase[]): HTMLElement {
  const title = el('input', { type: 'text', id: 'title', placeholder: 'e.g. Suspected compromise of the CI access key', required: true });
  const wrap = el('div');
  const open = (fn: () => Promise<unknown>) => () => void busy(wrap, async () => void (await fn()));
  const newForm: HTMLFormElement = el(
    'form',
    {
      onSubmit: (ev: Event) => {
        ev.preventDefault();
        open(() => api.newCase({ title: title.value.trim() }))();
      },
    },
    el('h2', { text: 'New case' }),
    el('label', { for: 'title', text: 'Title' }),
    title,
    el('button', { type: 'submit', text: 'Create case…' }),
  );
  const list = el('ul', { className: 'recent' });
  for (const r of recent) {
    list.append(
      el(
        'li',
        {},
        el(
          'button',
          { type: 'button', disabled: !r.exists, onClick: open(() => api.openCase({ path: r.path })) },
          r.title,
          el('span', { className: r.exists ? 'path' : 'path missing', text: r.exists ? r.path : `${r.path} (not found)` }),
        ),
      ),
    );
  }
  const parts: Child[] = [
    newForm,
    el('h2', { text: 'Open a case' }),
    el('div', { className: 'row' }, el('button', { type: 'button', className: 'secondary', onClick: open(() => api.openCaseDialog({})) }, 'Open case file…')),
    el('p', { className: 'note', text: 'A case that comes from another workstation is verified completely before it opens; a handoff file is received and its receipt signed with your key.' }),
    recent.length ? el('h2', { text: 'Recent cases' }) : null,
    recent.length ? list : null,
    el(
      'div',
      { className: 'key' },
      `Examiner: ${status.examiner} · key `,
      el('code', { text: (status.fingerprint ?? '').slice(0, 16) + '…' }),
      status.remembered
        ? el('button', { type: 'button', className: 'secondary', onClick: () => void busy(wrap, async () => void (await api.forgetPassphrase({}), await render(api))) }, 'Forget remembered passphrase')
        : null,
    ),
  ];
  for (const p of parts) if (p !== null && p !== undefined && p !== false) wrap.append(p);
  return wrap;
}

async function render(api: RendererApi): Promise<void> {
  const status = await api.keyStatus({});
  content.replaceChildren();
  if (!status.exists) content.append(createKeyForm(api, status));
  else if (!status.unlocked) content.append(unlockForm(api, status));
  else content.append(casesView(api, status, (await api.recentCases({})).items));
  content.querySelector<HTMLInputElement>('input')?.focus();
}

const api = window.trailcase;
if (!api) showError('This page runs only inside the TrailCase desktop app.');
else render(api).catch(showError);
