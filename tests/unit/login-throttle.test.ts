/** The login throttle on its own: allowance, growing delays, addresses kept apart, lifting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADDRESS_ALLOWANCE, FIRST_DELAY_SECONDS, LOGIN_ALLOWANCE, LoginThrottle, MAX_DELAY_SECONDS, type Admission } from '../../server/auth/throttle';

async function fail(throttle: LoginThrottle, username: string, address: string): Promise<Admission> {
  const admission = await throttle.admit(username, address);
  if (admission.admitted) await throttle.failed(admission.ticket);
  return admission;
}

test('the allowance is taken before the check: parallel admissions never exceed it', async () => {
  const throttle = new LoginThrottle();
  const admissions = await Promise.all(Array.from({ length: 40 }, () => throttle.admit('dr.adams', '10.0.0.7')));
  assert.equal(admissions.filter((a) => a.admitted).length, LOGIN_ALLOWANCE);
});

test('delays grow after each blocked failure, up to the maximum; another address is not affected', async () => {
  const throttle = new LoginThrottle();
  for (let i = 0; i < LOGIN_ALLOWANCE - 1; i++) assert.equal((await fail(throttle, 'desk.garcia', '10.0.0.7')).admitted, true);
  const last = await throttle.admit('desk.garcia', '10.0.0.7');
  assert.ok(last.admitted);
  assert.deepEqual(await throttle.failed(last.ticket), [{ scope: 'account', seconds: FIRST_DELAY_SECONDS }]);
  const refused = await throttle.admit('desk.garcia', '10.0.0.7');
  assert.equal(refused.admitted, false);
  assert.ok(!refused.admitted && refused.retryAfterSeconds > 0 && refused.retryAfterSeconds <= FIRST_DELAY_SECONDS);
  // The colleague at another desk signs in as usual: no one can lock anyone out from elsewhere.
  assert.equal((await throttle.admit('desk.garcia', '10.0.0.8')).admitted, true);

  // After each block, one failure blocks again, twice as long, up to the maximum.
  const delays: number[] = [];
  const key = { username: 'dr.chen', address: '10.0.0.9' };
  for (let i = 0; i < LOGIN_ALLOWANCE - 1; i++) await fail(throttle, key.username, key.address);
  for (let round = 0; round < 9; round++) {
    const a = await throttle.admit(key.username, key.address);
    assert.ok(a.admitted, `round ${round} admitted`);
    const imposed = await throttle.failed(a.ticket);
    delays.push(imposed[0]!.seconds);
    // Wait the block out without waiting: drop the block but keep the level (as when it expires).
    await (throttle as unknown as { perAccount: { delete(k: string): Promise<boolean> } }).perAccount.delete(LoginThrottle.accountKey(key.username, key.address));
  }
  assert.deepEqual(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600].map((s) => Math.min(s, MAX_DELAY_SECONDS)));
  // An admin's lift clears the level too: the next failures start from the allowance again.
  await throttle.lift(key);
  const fresh = await throttle.admit(key.username, key.address);
  assert.ok(fresh.admitted);
  assert.deepEqual(await throttle.failed(fresh.ticket), []);
});

test('one address trying many usernames runs out of its allowance; a success gives its attempt back', async () => {
  const throttle = new LoginThrottle();
  const ok = await throttle.admit('admin', '10.0.0.5');
  assert.ok(ok.admitted);
  await throttle.succeeded(ok.ticket);
  const answers: Admission[] = [];
  for (let i = 0; i < ADDRESS_ALLOWANCE + 5; i++) answers.push(await fail(throttle, `user-${i}`, '10.0.0.5'));
  assert.equal(answers.filter((a) => a.admitted).length, ADDRESS_ALLOWANCE);
  const refused = answers.at(-1)!;
  assert.ok(!refused.admitted && refused.scope === 'address');
  assert.equal((await throttle.admit('user-1', '10.0.0.6')).admitted, true, 'other addresses go on');
  await throttle.lift({ address: '10.0.0.5' });
  assert.equal((await throttle.admit('someone', '10.0.0.5')).admitted, true, 'an admin lifted the address block');
});
