// A loopback RFC 3161 time-stamping authority for tests (docs/verification.md): a throwaway
// CA and a TSA certificate (extendedKeyUsage critical timeStamping) made with
// openssl in the test's temp dir, and an HTTP server on 127.0.0.1 that answers
// each TimeStampReq with `openssl ts -reply`. Stops when closed.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoopbackTsa {
  url: string;
  caFile: string;
  requests: number;
  close(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
}

export async function startTsa(dir: string): Promise<LoopbackTsa> {
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Test TSA CA', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Test TSA'], dir);
  writeFileSync(join(dir, 'tsa.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
  openssl(['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.crt', '-days', '2', '-extfile', 'tsa.ext'], dir);
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'tsa.cnf'),
    [
      '[ tsa ]', 'default_tsa = tsa1', '[ tsa1 ]', `dir = ${dir}`, 'serial = $dir/serial', 'crypto_device = builtin',
      'signer_cert = $dir/tsa.crt', 'certs = $dir/ca.crt', 'signer_key = $dir/tsa.key', 'signer_digest = sha256',
      'default_policy = 1.2.3.4.1', 'digests = sha256', 'accuracy = secs:1', 'ordering = yes', 'tsa_name = yes',
      'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'),
  );
  const tsa = { requests: 0 } as LoopbackTsa;
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      tsa.requests++;
      const q = join(dir, `q${tsa.requests}.tsq`);
      const a = join(dir, `a${tsa.requests}.tsr`);
      writeFileSync(q, Buffer.concat(parts));
      const r = spawnSync('openssl', ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', q, '-out', a], { encoding: 'utf8' });
      if (r.status !== 0) {
        res.writeHead(500).end(r.stderr);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(readFileSync(a));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  tsa.url = `http://127.0.0.1:${port}/tsa`;
  tsa.caFile = join(dir, 'ca.crt');
  tsa.close = () => new Promise<void>((ok) => server.close(() => ok()));
  return tsa;
}
