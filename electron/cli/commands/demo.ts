// `trailcase demo`: build the demo case on first use and serve it to a browser.
import { ensureDemoCase, DEMO_PASSPHRASE } from '../../demo/demo.ts';
import { registerCommand } from '../registry.ts';

export { ensureDemoCase };

registerCommand({
  name: 'demo',
  summary: 'build the bundled demo case (first time) and open it in the UI (loopback browser host)',
  usage: 'trailcase demo [--port N] [--build-only]',
  options: { port: { type: 'string' }, 'build-only': { type: 'boolean' } },
  async run({ values, io }) {
    const demo = await ensureDemoCase({ log: (s) => io.err(s) });
    if (values['build-only']) {
      io.result({ path: demo.path, built: demo.built }, () => `Demo case at ${demo.path} (demo examiner passphrase: ${DEMO_PASSPHRASE})`);
      return 0;
    }
    const { startHost } = await import('../../host/server.ts');
    const host = await startHost({ casePath: demo.path, signer: demo.signer, port: values.port ? Number(values.port) : undefined, log: (s) => io.err(s) });
    io.out(`TrailCase demo case: ${demo.path}`);
    io.out(`Open ${host.url}`);
    io.err('(loopback only; Ctrl-C to stop)');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await host.close();
    return 0;
  },
});
