/**
 * `npm run rotate-key -- [--data-dir ./data]`: a new access-token signing key in
 * <data-dir>/jwt-signing.key (0600). A running server picks it up within seconds; access tokens
 * signed with the old key stop working, and terminals get new ones with their refresh tokens.
 * Servers that take the key from CLINIC_JWT_KEY are rotated by changing the variable and restarting.
 */
import { parseArgs } from 'node:util';
import { rotateSigningKey, SIGNING_KEY_ENV } from './auth/signingKey';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string', default: './data' } }, strict: true });
if (process.env[SIGNING_KEY_ENV]) {
  console.log(`note: ${SIGNING_KEY_ENV} is set in this shell; a server started with it ignores the key file`);
}
const file = await rotateSigningKey(values['data-dir']!);
console.log(`new signing key written to ${file}; a running server uses it within seconds, and access tokens signed with the old key are refused from then on`);
