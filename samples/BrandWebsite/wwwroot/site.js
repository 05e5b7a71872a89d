// The web flow (API.md §4.4) from a brand's own website. The customer's token lives in this page's memory only: no
// cookie and no storage, so no other page or later script of the origin can read it back. A reload signs them out.
const site = await (await fetch('/site.json')).json();
const $ = (id) => document.getElementById(id);

let customer = null; // { brand, identifierType, identifierValue }
let sessionId = null;
let token = null;
let renewal = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A POST to a web endpoint. 429 and 503 (1599) mean the service did nothing, so the same call goes again after
// Retry-After: a regenerate with the same token within the reuse grace gets the same next token.
async function call(path, fields) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${site.sessions}/auth/v1/web/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...customer, ...fields }),
    });
    const envelope = await response.json();
    if ((response.status === 429 || response.status === 503) && attempt < 3) {
      await sleep(1000 * (Number(response.headers.get('Retry-After')) || 1));
      continue;
    }
    return envelope;
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
  const { jti, exp } = claims(token);
  $('token-id').textContent = jti;
  $('expires').textContent = new Date(exp * 1000).toLocaleTimeString();
  clearTimeout(renewal);
  renewal = setTimeout(renew, Math.max(0, exp * 1000 - Date.now() - 60_000));
  show('account', message);
}

// The web flow has no logout call: forgetting the token is enough, and its family dies when the brand's
// Web:IdleMinutes have passed.
function signOut(message) {
  clearTimeout(renewal);
  token = null;
  customer = null;
  sessionId = null;
  show('email', message);
}

async function renew() {
  const answer = await call('token/regenerate', { expiredToken: token });
  if (answer.status.success) {
    keep(answer.auth.token, 'Token renewed.');
  } else {
    // 1525 (the token was presented twice) and 1597 (the session ended): only a new sign-in helps.
    signOut(`Your session ended: ${answer.status.message} Please sign in again.`);
  }
}

$('email-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  customer = { brand: site.brand, identifierType: 'EMAIL', identifierValue: $('email').value.trim() };
  const opened = await call('token/generate', {});
  if (!opened.status.success) {
    return show('email', opened.status.message);
  }
  sessionId = opened.user.sessionId;
  const sent = await call('otp/generate', { sessionId });
  if (!sent.status.success) {
    return show('email', sent.status.message);
  }
  show('code', `We sent a code to ${customer.identifierValue}.`);
  $('code').focus();
});

$('code-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const answer = await call('otp/validate', { sessionId, otp: $('code').value.trim() });
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
$('sign-out').addEventListener('click', () => signOut('Signed out.'));
