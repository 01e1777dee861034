import { givenMachineCredential } from '../support/factories.js';
import { decodeJwt, postJson } from '../support/oauth.js';
import { CALLBACK, authorizationRequest, givenApplication, givenPerson, redeem, relyingParty } from '../support/people.js';
import { createResourceServer } from '../support/resource-server.js';
import { createEnvironment, startTessera, usingRedis, type RunningTessera, type TestEnvironment } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

/**
 * Two Tessera instances on one database (and one Redis when configured), as behind a load
 * balancer. On the embedded default the second instance reaches the first one's PGlite
 * through its socket, which is how the CLI shares it too.
 */
let environment: TestEnvironment;
let one: RunningTessera;
let two: RunningTessera;

beforeAll(async () => {
  environment = await createEnvironment();
  one = await startTessera(environment);
  // Behind a load balancer both answer for one issuer.
  two = await startTessera(environment, { ISSUER: one.url });
});

afterAll(async () => {
  await two.stop();
  await one.stop();
  await environment.cleanup();
});

const ask = (server: RunningTessera, credential: Awaited<ReturnType<typeof givenMachineCredential>>, secret = credential.clientSecret) =>
  postJson(`${server.url}/oauth/token`, { client_id: credential.clientId, client_secret: secret, audience: credential.api.identifier, grant_type: 'client_credentials' });

const eventually = async (check: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
};

test('a credential revoked through one instance is refused by the other at once', async () => {
  const credential = await givenMachineCredential(one.core);
  expect((await ask(two, credential)).status).toBe(200); // now cached in instance two
  await one.core.clients.revoke(credential.clientId, { actor: 'test' });
  expect(await eventually(async () => (await ask(two, credential)).status === 401, 2_000)).toBe(true);
});

test('a secret rotated through one instance: the other accepts the new one and refuses the old', async () => {
  const credential = await givenMachineCredential(one.core);
  expect((await ask(two, credential)).status).toBe(200);
  const { secret } = await one.core.clients.rotateSecret(credential.clientId, { actor: 'test' });
  expect(await eventually(async () => (await ask(two, credential)).status === 401, 2_000)).toBe(true);
  expect((await ask(two, credential, secret)).status).toBe(200);
});

test('a key rotated through one instance is served by both JWKS within seconds, and tokens from either verify', async () => {
  const credential = await givenMachineCredential(one.core);
  const kid = (await one.core.signingKeys.rotate(await one.core.keyRetentionSeconds())).kid;
  await one.core.changes.publish('signing_key', kid);
  for (const server of [one, two]) {
    expect(
      await eventually(async () => {
        const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
        return keys.some((key) => key.kid === kid);
      }),
    ).toBe(true);
  }
  const fromOne = (await ask(one, credential)).body.access_token as string;
  const fromTwo = (await ask(two, credential)).body.access_token as string;
  expect(decodeJwt(fromOne).header.kid).toBe(kid);
  expect(decodeJwt(fromTwo).header.kid).toBe(kid);
  for (const [server, token] of [[one, fromTwo], [two, fromOne]] as const) {
    await expect(createResourceServer(one.url, credential.api.identifier, server.url).verify(token)).resolves.toMatchObject({ sub: credential.clientId });
  }
});

(usingRedis ? test : test.skip)('a per-client limit is enforced globally across instances (Redis counters)', async () => {
  const three = await startTessera(environment, { RATE_LIMIT_TOKEN_PER_MINUTE: '6' });
  const four = await startTessera(environment, { RATE_LIMIT_TOKEN_PER_MINUTE: '6', ISSUER: three.url });
  try {
    const credential = await givenMachineCredential(three.core);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await ask(i % 2 === 0 ? three : four, credential)).status);
      // Instances share counts every 100 ms (batched, so the token path makes no Redis call per request).
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  } finally {
    await four.stop();
    await three.stop();
  }
});

// Sessions and interactions live in Redis; on the embedded default each instance keeps its own
// in-process store, which is why a deployment with several instances needs REDIS_URL.
(usingRedis ? test : test.skip)('a login started on one instance finishes on the other (shared Redis sessions)', async () => {
  const ada = await givenPerson(one.core);
  const app = await givenApplication(one.core, { type: 'web' });
  const rp = await relyingParty(one.url, app);
  const pending = await authorizationRequest(rp);

  // GET /authorize on one: it creates the interaction and redirects to its login page.
  const browser = new UserAgent(one.url);
  const first = await browser.open(pending.url);
  if (first.kind !== 'page') throw new Error(`expected the login page, was sent to ${first.location}`);
  expect(first.url.pathname).toMatch(/^\/interaction\//);

  // The load balancer sends the rest to two: the login page, the form post, the resume, the callback.
  const onTwo = browser.on(two.url);
  const login = await onTwo.open(new URL(first.url.pathname + first.url.search, two.url));
  expect(login).toMatchObject({ kind: 'page', status: 200 });
  expect(textOf(login)).toContain('Sign in');
  let callback = await onTwo.signIn(login, ada.email, ada.password);
  // The resume URL was minted on one, i.e. on the issuer's (the load balancer's) address: the
  // balancer hands it to two again.
  while (callback.kind === 'left' && callback.location.origin === one.url) {
    callback = await onTwo.open(new URL(callback.location.pathname + callback.location.search, two.url));
  }
  if (callback.kind !== 'left') throw new Error(`login did not finish on two: ${textOf(callback)}`);
  expect(`${callback.location.origin}${callback.location.pathname}`).toBe(CALLBACK);
  expect(callback.location.searchParams.get('state')).toBe(pending.state);

  // The code two issued is redeemed through one.
  const tokens = await redeem(rp, callback.location, pending);
  await expect(createResourceServer(one.url, app.clientId, two.url).verify(tokens.id_token!)).resolves.toMatchObject({ sub: ada.user.id, nonce: pending.nonce });
});

test('an authorization code redeemed through one instance cannot be redeemed again through the other', async () => {
  const ada = await givenPerson(one.core);
  const app = await givenApplication(one.core, { type: 'web' });
  const pending = await authorizationRequest(await relyingParty(one.url, app));
  const browser = new UserAgent(one.url);
  const callback = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
  if (callback.kind !== 'left') throw new Error(textOf(callback));
  const redemption = {
    grant_type: 'authorization_code',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    code: callback.location.searchParams.get('code'),
    redirect_uri: CALLBACK,
    code_verifier: pending.codeVerifier,
  };

  const first = await postJson(`${one.url}/oauth/token`, redemption);
  expect(first.status).toBe(200);
  expect(first.body.access_token).toEqual(expect.any(String));
  const second = await postJson(`${two.url}/oauth/token`, redemption);
  expect(second.status).toBe(400);
  expect(second.body.error).toBe('invalid_grant');
});
