// The physical limit of the token path: how many RS256 JWTs one core can sign, with no HTTP,
// no storage and no framework. Run pinned to one core by run.js; prints one JSON line.
// Usage: node bench/sign-limit.js <seconds>
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const seconds = Number(process.argv[2] ?? 5);
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const jwk = await exportJWK(privateKey);
const keyObject = createPrivateKey({ key: jwk, format: 'jwk' });

// The same claims the servers put in a client_credentials token.
const claims = () => {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'http://127.0.0.1:1', sub: 'cred_bench', aud: 'https://api.bench.example.com', iat: now, exp: now + 86400,
    jti: randomUUID(), client_id: 'cred_bench', scope: 'read:projects write:projects', org: 'org_bench', role: 'editor',
  };
};

// jose signs through WebCrypto (async, on the libuv pool): keep a few signatures in flight, as a
// server under concurrent load does, so the figure is throughput rather than one thread's latency.
async function joseLoop(ms) {
  let count = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }).sign(privateKey);
      count += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 4 }, worker));
  return count / ((performance.now() - started) / 1000);
}

// node:crypto synchronously: the floor under any JWT library.
function cryptoLoop(ms) {
  let count = 0;
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' })).toString('base64url');
  const started = performance.now();
  const end = started + ms;
  while (performance.now() < end) {
    const input = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), keyObject).toString('base64url');
    if (signature.length === 0) throw new Error('empty signature');
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

await joseLoop(500); // warm-up, excluded
cryptoLoop(500);
const jose = await joseLoop(seconds * 1000);
const nodeCrypto = cryptoLoop(seconds * 1000);
process.stdout.write(`${JSON.stringify({ jose, nodeCrypto })}\n`);
