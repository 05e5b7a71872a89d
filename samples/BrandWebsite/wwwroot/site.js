// The web flow (API.md §4.4) from a brand's own website. The customer's token lives in this page's memory only: no
// cookie and no storage, so no other page or later script of the origin can read it back. A reload signs them out.
const $ = (id) => document.getElementById(id);

// A start that fails for a reason the customer can act on, with the words to tell them.
class StartFailure extends Error {}

// The site's settings and the page's device key, before anything listens. A page that cannot make them says so and keeps
// its forms closed (index.html opens none), rather than leaving the customer at buttons that never answer.
const { site, deviceKey, x, y } = await start().catch((error) => {
  $('status').textContent = error instanceof StartFailure ? error.message
    : 'Sign-in is not available right now: this page could not start. Please reload it in a moment.';
  throw error;
});

async function start() {
  // WebCrypto exists only on secure pages: a copy of this page served over plain HTTP from anywhere but localhost has none.
  if (!globalThis.crypto?.subtle) {
    throw new StartFailure('Sign-in needs this page to be served over HTTPS, in a browser that supports WebCrypto.');
  }
  const settings = await fetch('/site.json');
  if (!settings.ok) {
    throw new Error(`/site.json answered ${settings.status}`);
  }
  // The page's device key (API.md §4.7): a P-256 key that WebCrypto will not hand out, made for this page load. Where
  // the brand binds devices, the proofs it signs bind the page's web family to it, so a token copied out of the page (a
  // log, a proxy, a screenshot) neither renews nor, where the brand requires proofs with bound tokens, authorises
  // anything.
  const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const { x, y } = await crypto.subtle.exportKey('jwk', key.publicKey);
  return { site: await settings.json(), deviceKey: key, x, y };
}

let deviceNonce = null; // the service's newest DPoP-Nonce: proofs are then fresh whatever this computer's clock says

const utf8 = (text) => new TextEncoder().encode(text);
const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// An RFC 9449 proof for a POST to url; with the token the call carries, naming it (ath). WebCrypto's ECDSA signature is
// r and s of 32 bytes each, as a JWS has it.
async function proof(url, token) {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x, y } };
  const payload = { jti: crypto.randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000) };
  if (deviceNonce) {
    payload.nonce = deviceNonce;
  }
  if (token) {
    payload.ath = base64url(await crypto.subtle.digest('SHA-256', utf8(token)));
  }
  const signingInput = `${base64url(utf8(JSON.stringify(header)))}.${base64url(utf8(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, deviceKey.privateKey, utf8(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}

let customer = null; // { brand, identifierType, identifierValue }
let sessionId = null;
let token = null;
let renewal = null;
let renewFailingSince = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// No answer at all: offline, or a gateway's own error page instead of the service's envelope.
const unreachable = { status: { success: false, code: 0, message: 'The service cannot be reached.' } };

// 1599, 429 and 408 say the service did nothing with the call: the same call may go again.
const nothingDone = (envelope) => [1599, 429, 408].includes(envelope.status.code);

// A POST to an /auth/v1 endpoint, with a fresh device proof where the service takes one (not to open a login or send its
// code), sent again after Retry-After when the service did nothing (a regenerate with the same token within the reuse
// grace gets the same next token), and once at once with the service's nonce when the proof was stale (1563). A brand
// that does not bind devices ignores the proof.
async function call(path, fields) {
  const url = `${site.sessions}/auth/v1/${path}`;
  const takesProof = !/(token|otp)\/generate$/.test(path);
  for (let attempt = 1, staleProofs = 0; ; attempt++) {
    let response;
    let envelope;
    try {
      const headers = { 'Content-Type': 'application/json' };
      if (takesProof) {
        headers.DPoP = await proof(url, fields.token);
      }
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ ...customer, ...fields }) });
      deviceNonce = response.headers.get('DPoP-Nonce') ?? deviceNonce;
      envelope = await response.json();
    } catch {
      return unreachable;
    }
    if (!envelope?.status) {
      return unreachable;
    }
    if (envelope.status.code === 1563 && staleProofs++ === 0) {
      attempt--;
      continue;
    }
    if (!nothingDone(envelope) || attempt === 3) {
      return envelope;
    }
    await sleep(1000 * (Number(response.headers.get('Retry-After')) || 1));
  }
}

function show(view, message) {
  $('email-form').hidden = view !== 'email';
  $('code-form').hidden = view !== 'code';
  $('account').hidden = view !== 'account';
  $('status').textContent = message;
}

function claims(jwt) {
  return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
}

function keep(newToken, message) {
  token = newToken;
  const { jti, exp, cnf } = claims(token);
  $('token-id').textContent = jti;
  $('binding').textContent = cnf ? 'bound to this page\'s device key' : 'not bound to a device key';
  $('expires').textContent = new Date(exp * 1000).toLocaleTimeString();
  clearTimeout(renewal);
  renewal = setTimeout(renew, Math.max(0, exp * 1000 - Date.now() - 60_000));
  show('account', message);
}

// Forgets the session here. A sign-out the customer asked for also revokes it at the service first (signOutHere).
function signOut(message) {
  clearTimeout(renewal);
  $('devices').replaceChildren();
  renewFailingSince = null;
  token = null;
  customer = null;
  sessionId = null;
  show('email', message);
}

async function renew() {
  const answer = await call('web/token/regenerate', { expiredToken: token });
  if (answer.status.success) {
    renewFailingSince = null;
    keep(answer.auth.token, 'Token renewed.');
  } else if ((answer === unreachable || nothingDone(answer)) && (renewFailingSince ??= Date.now()) > Date.now() - 20_000) {
    // The same token again shortly. Within the reuse grace (30 s by default) that is safe even if a lost answer had
    // already rotated the family; after it, the old token would revoke the family.
    clearTimeout(renewal);
    renewal = setTimeout(renew, 10_000);
    show('account', `${answer.status.message} Trying again in 10 seconds.`);
  } else {
    // 1525 (the token was presented twice) and 1597 (the session ended): only a new sign-in helps.
    signOut(`Your session ended: ${answer.status.message} Please sign in again.`);
  }
}

// An account call's refusal. 1596 says this page's session ended since (signed out from another device or by support):
// only a new sign-in helps, as after a renewal's 1597. Anything else is said where the customer is.
function refused(answer) {
  if (answer.status.code === 1596) {
    return signOut(`Your session ended: ${answer.status.message} Please sign in again.`);
  }
  return show('account', answer.status.message);
}

// Where the customer is signed in: the brand's apps and websites (README, "Signed-in devices"). Every value is set as
// text, never as markup: a device id is whatever an app sent.
async function listDevices() {
  const answer = await call('user/sessions', { token });
  if (!answer.status.success) {
    return refused(answer);
  }
  const items = answer.sessions.flatMap((session) => session.families.map((family) => {
    const item = document.createElement('li');
    const where = session.deviceId === null ? 'A browser' : `The app on ${session.deviceId}`;
    item.textContent = `${where}, signed in ${new Date(family.createdAt).toLocaleString()}${family.current ? ' (this page)' : ''}`;
    return item;
  }));
  $('devices').replaceChildren(...items);
  show('account', `Signed in on ${items.length} devices and browsers.`);
}

// Signing the others out needs a recent sign-in (1564 otherwise): the customer signs in again and repeats it.
async function signOutOthers() {
  const answer = await call('user/sessions/revokeOthers', { token });
  if (!answer.status.success) {
    return refused(answer);
  }
  await listDevices();
  show('account', `Signed out ${answer.revoked} other ${answer.revoked === 1 ? 'session' : 'sessions'}.`);
}

$('email-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  customer = { brand: site.brand, identifierType: 'EMAIL', identifierValue: $('email').value.trim() };
  const opened = await call('web/token/generate', {});
  if (!opened.status.success) {
    return show('email', opened.status.message);
  }
  sessionId = opened.user.sessionId;
  const sent = await call('web/otp/generate', { sessionId });
  if (!sent.status.success) {
    return show('email', sent.status.message);
  }
  show('code', `We sent a code to ${customer.identifierValue}.`);
  $('code').focus();
});

$('code-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const answer = await call('web/otp/validate', { sessionId, otp: $('code').value.trim() });
  if (!answer.status.success) {
    return show('code', answer.status.message);
  }
  $('code').value = '';
  if (answer.user.role !== 'USER') {
    return signOut('This account needs a second factor, which this sample does not show.');
  }
  keep(answer.auth.token, `Signed in as ${customer.identifierValue}.`);
});

$('renew').addEventListener('click', renew);
$('list-devices').addEventListener('click', listDevices);
$('sign-out-others').addEventListener('click', signOutOthers);
// The page's own family, revoked at the service (README, "Signed-in devices"), so that its token never renews again;
// the page forgets the token whatever the answer.
async function signOutHere() {
  await call('user/sessions/revoke', { token, familyId: claims(token).sid });
  signOut('Signed out.');
}

$('sign-out').addEventListener('click', signOutHere);

// The forms' buttons start disabled (index.html) and open only now that their handlers listen: a form sent before, while
// the page still fetched its settings and made its key, would be the browser's own submission, which reloads the page
// and loses what the customer typed.
for (const button of document.querySelectorAll('form button[type=submit]')) {
  button.disabled = false;
}
