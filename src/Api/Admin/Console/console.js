// The support console: every value from the API is rendered with textContent, never as markup; the admin key lives in
// this closure only (no URL, cookie or storage), so a reload or a closed tab forgets it.
(function () {
  "use strict";

  let adminKey = null;
  let keyRights = null; // { id, brands (null: every brand), readOnly }, as /admin/v1/key answers for the key
  let keyCheck = null; // the check of the key just pasted, which a search waits for
  let current = null; // { brand, type, value, customerId (null while no customer holds the identifier) }
  let pendingConfirmation = null; // { onYes, cancelled }
  let shownLimits = null;

  const $ = (id) => document.getElementById(id);

  const explanations = {
    "KEY_REUSE_DETECTED": "an old key of this session was used again (a copy of it may exist elsewhere), so the session was revoked for safety",
    "DEVICE_KEY_MISMATCH": "someone presented this session's key from another device; it was refused and the session kept",
    "logout": "the customer logged out",
    "password changed": "the password was changed on another device",
    "password reset": "the password was reset",
    "identifier changed": "the customer changed their phone number or e-mail address",
    "revoked by an administrator": "support revoked it",
    "device-session limit": "the customer logged in on too many devices; the least recently used one was logged out",
    "too many wrong codes or passwords": "too many wrong codes or passwords were entered, so codes and passwords were refused for a while",
    "lifted by an administrator": "support lifted the lock",
  };

  const kindNames = {
    "LOGIN": "Logged in",
    "KEY_REUSE_DETECTED": "Key reuse detected",
    "FAMILY_REVOKED": "Session ended",
    "PASSWORD_CHANGED": "Password changed",
    "PASSWORD_RESET": "Password reset",
    "IDENTIFIER_CHANGED": "Identifier changed",
    "DEVICE_KEY_MISMATCH": "Copied key refused",
    "IDENTIFIER_LOCKED": "Locked",
    "LOCK_LIFTED": "Lock lifted",
  };

  class ApiError extends Error {}

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = kind || "";
  }

  // A 404 answers null when notFoundIsAnswer: "no customer holds this identifier" is news, not an error.
  async function api(method, path, notFoundIsAnswer) {
    if (!adminKey) {
      throw new ApiError("Paste the admin key first (step 1).");
    }
    let response;
    try {
      response = await fetch(path, { method, headers: { "Authorization": "Bearer " + adminKey, "Accept": "application/json" }, cache: "no-store" });
    } catch (e) {
      throw new ApiError("The service could not be reached.");
    }
    if (response.status === 204 || (response.status === 404 && notFoundIsAnswer)) {
      return null;
    }
    const body = await response.json().catch(() => null);
    if (response.ok) {
      return body;
    }
    if (response.status === 401) {
      throw new ApiError("The admin key was refused (401). Check it and paste it again.");
    }
    if (response.status === 403) {
      throw new ApiError(body && body.detail ? body.detail : "The admin key may not do this (403).");
    }
    if (response.status === 429) {
      throw new ApiError("Too many requests: wait a moment and try again.");
    }
    const detail = body && (body.detail || body.title);
    throw new ApiError(detail ? detail : "The service answered " + response.status + ".");
  }

  function when(value) {
    return value ? new Date(value).toLocaleString() : "—";
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
    return td;
  }

  function button(text, className, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (className) {
      b.className = className;
    }
    b.addEventListener("click", onClick);
    return b;
  }

  function renderSessions(sessions) {
    const body = $("sessions").tBodies[0];
    body.replaceChildren();
    let count = 0;
    for (const session of sessions) {
      for (const family of session.families) {
        count++;
        const row = document.createElement("tr");
        cell(row, session.identifierType + " " + session.identifierValue);
        cell(row, session.deviceId === null ? "(browser)" : session.deviceId, "device");
        cell(row, family.flow);
        cell(row, when(family.createdAt));
        cell(row, when(family.lastUsedAt));
        cell(row, family.expiresAt ? when(family.expiresAt) : "never");
        cell(row, family.deviceBound ? "yes" : "no");
        const device = session.deviceId === null ? "a browser" : "device " + session.deviceId;
        const actions = row.appendChild(document.createElement("td"));
        if (!keyRights.readOnly) {
          actions.appendChild(button("Revoke…", "", () =>
            askToConfirm("Revoke the " + family.flow + " session on " + device + "? The customer logs in again there.", "Yes, revoke",
              () => revokeOne(family.familyId), "Nothing was revoked.")));
        }
        body.appendChild(row);
      }
    }
    $("sessions").hidden = count === 0;
    $("no-sessions").hidden = count !== 0;
    $("revoke-all").disabled = count === 0;
    $("revoke-all").hidden = keyRights.readOnly;
  }

  function renderEvents(events) {
    const body = $("events").tBodies[0];
    body.replaceChildren();
    for (const event of events) {
      const row = document.createElement("tr");
      if (event.kind !== "LOGIN") {
        row.className = "ended";
      }
      cell(row, when(event.at));
      cell(row, kindNames[event.kind] || event.kind);
      cell(row, event.identifier);
      cell(row, event.device || "all devices", "device masked");
      cell(row, event.flow);
      const why = event.kind === "LOGIN" ? "by " + event.factor
        : event.kind === "IDENTIFIER_CHANGED" ? "new value " + event.detail
        : event.kind === "IDENTIFIER_LOCKED" ? explanations[event.reason] + ", until " + when(event.detail)
        : event.kind === "LOCK_LIFTED" ? explanations[event.reason] + " (admin key " + event.detail + ")"
        : explanations[event.reason] || explanations[event.kind] || event.reason || "";
      cell(row, why);
      cell(row, event.count);
      body.appendChild(row);
    }
    $("events").hidden = events.length === 0;
    $("no-events").hidden = events.length !== 0;

    const ended = events.find((e) => e.kind === "FAMILY_REVOKED" || e.kind === "KEY_REUSE_DETECTED");
    $("last-ended").textContent = ended
      ? "Last session ended " + when(ended.at) + " on " + (ended.device === "(web)" ? "a browser" : "device " + ended.device)
        + ": " + (explanations[ended.reason] || explanations[ended.kind] || ended.reason) + "."
      : "";
  }

  function renderSetup(customer) {
    const identifiers = customer.identifiers.map((i) => i.identifierType + " " + i.identifierValue).join(", ");
    $("customer-setup").textContent = (customer.hasPassword ? "Password set" : "No password set")
      + "; " + (customer.mfaCompleted ? "second factor enrolled" : "no second factor yet")
      + (customer.hasMfaPassword ? " (with an MFA password)" : "")
      + ". Last login " + when(customer.lastLoginAt) + " (" + customer.deviceSessions + " device"
      + (customer.deviceSessions === 1 ? "" : "s") + " listed)." + (identifiers ? " Identifiers: " + identifiers + "." : "");
  }

  function identifierPath() {
    return "/admin/v1/brands/" + encodeURIComponent(current.brand) + "/identifiers/" + encodeURIComponent(current.type)
      + "/" + encodeURIComponent(current.value);
  }

  function customerPath() {
    return "/admin/v1/brands/" + encodeURIComponent(current.brand) + "/customers/" + encodeURIComponent(current.customerId);
  }

  function renderLimits(limits) {
    shownLimits = limits;
    const lock = $("lock-state");
    if (limits.locked) {
      lock.textContent = "Locked until " + when(limits.lockedUntil) + ": too many wrong codes or passwords (" + limits.maxFailures
        + " within " + limits.failureWindowMinutes + " minutes). Codes are not sent and no code or password is checked until then.";
      lock.className = "locked";
    } else {
      lock.textContent = "Not locked. Wrong codes or passwords in the last " + limits.failureWindowMinutes + " minutes: "
        + limits.recentFailures + " (it locks at " + limits.maxFailures + ").";
      lock.className = "";
    }
    $("lift-lock").hidden = keyRights.readOnly || (!limits.locked && limits.recentFailures === 0);
    $("lift-lock").textContent = limits.locked ? "Lift lock…" : "Forget wrong attempts…";
    $("send-state").textContent = "Codes sent in the last " + limits.sendWindowMinutes + " minutes: " + limits.otpSends + " of "
      + limits.maxOtpSends + (limits.nextOtpSendAt ? "; the next can be sent at " + when(limits.nextOtpSendAt) + "." : ".");
  }

  async function load() {
    const limits = api("GET", identifierPath() + "/limits");
    const customer = current.customerId
      ? Promise.all([api("GET", customerPath() + "/sessions"), api("GET", customerPath() + "/events"), api("GET", customerPath())])
      : Promise.resolve(null);
    const [shown, found] = await Promise.all([limits, customer]);
    $("identifier-name").textContent = current.type + " " + current.value;
    renderLimits(shown);
    $("identifier-section").hidden = false;
    $("no-customer").hidden = current.customerId !== null;
    if (found) {
      $("customer-id").textContent = current.customerId;
      renderSessions(found[0].sessions);
      renderEvents(found[1].events);
      renderSetup(found[2]);
    }
    $("customer-section").hidden = !found;
  }

  async function run(action) {
    try {
      await action();
    } catch (e) {
      if (!(e instanceof ApiError)) {
        throw e;
      }
      setStatus(e.message, "error");
    }
  }

  function askToConfirm(text, yes, onYes, cancelled) {
    pendingConfirmation = { onYes, cancelled };
    $("confirm-text").textContent = text;
    $("confirm-yes").textContent = yes;
    $("confirm").hidden = false;
    $("confirm-no").focus();
  }

  async function revokeOne(familyId) {
    await api("DELETE", customerPath() + "/sessions/" + encodeURIComponent(familyId));
    await load();
    setStatus("Revoked one session.", "ok");
  }

  async function revokeAll() {
    const result = await api("DELETE", customerPath() + "/sessions");
    await load();
    setStatus("Logged out everywhere: " + result.revoked + " session(s) revoked.", "ok");
  }

  async function liftLock() {
    const result = await api("DELETE", identifierPath() + "/lock");
    await load();
    setStatus(result.lifted ? "Lock lifted: the customer can log in again." : "Wrong attempts forgotten: " + result.failuresCleared + ".", "ok");
  }

  function hideResults() {
    $("customer-section").hidden = true;
    $("identifier-section").hidden = true;
  }

  function describeRights(rights) {
    const brands = rights.brands === null ? "every brand" : "brand(s) " + rights.brands.join(", ");
    return "Key '" + rights.id + "' is held for this tab: " + brands + ", " + (rights.readOnly ? "read only." : "may revoke and lift locks.");
  }

  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("admin-key");
    adminKey = input.value.trim() || null;
    input.value = "";
    keyRights = null;
    hideResults();
    setStatus("", "");
    const checking = adminKey;
    keyCheck = run(async () => {
      let rights = null;
      let refusal = null;
      try {
        rights = await api("GET", "/admin/v1/key");
      } catch (error) {
        refusal = error;
      }
      // A key forgotten or replaced while it was checked: its answer no longer describes the key this tab holds.
      if (adminKey !== checking) {
        return;
      }
      if (refusal) {
        adminKey = null;
        $("key-state").textContent = "No key.";
        $("forget-key").hidden = true;
        throw refusal;
      }
      keyRights = rights;
      $("key-state").textContent = describeRights(keyRights);
      $("forget-key").hidden = false;
      if (keyRights.brands !== null && !keyRights.brands.includes($("brand").value.trim().toUpperCase())) {
        $("brand").value = keyRights.brands[0];
      }
      // Only if the agent has not moved on meanwhile: focus taken mid-word would send their typing to another field.
      if (document.activeElement === input || document.activeElement === document.body) {
        $("identifier-value").focus();
      }
    });
  });

  $("forget-key").addEventListener("click", () => {
    adminKey = null;
    keyRights = null;
    current = null;
    hideResults();
    $("forget-key").hidden = true;
    $("key-state").textContent = "The key is forgotten.";
  });

  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    run(async () => {
      hideResults();
      $("confirm").hidden = true;
      // A search sent while the key is still being checked waits for the check, rather than failing for no key.
      await keyCheck;
      if (!keyRights) {
        throw new ApiError("Paste the admin key first (step 1).");
      }
      current = { brand: $("brand").value.trim(), type: $("identifier-type").value, value: $("identifier-value").value.trim(), customerId: null };
      setStatus("Searching…", "");
      const found = await api("GET", identifierPath(), true);
      current.customerId = found ? found.customerId : null;
      await load();
      setStatus(found ? "Found the customer." : "No customer holds this identifier.", found ? "ok" : "");
    });
  });

  $("refresh").addEventListener("click", () => run(async () => {
    await load();
    setStatus("Refreshed.", "ok");
  }));

  $("revoke-all").addEventListener("click", () =>
    askToConfirm("Log this customer out on every device and browser? Every session below ends.", "Yes, revoke", revokeAll, "Nothing was revoked."));

  $("lift-lock").addEventListener("click", () => {
    const caution = " Do it only once you have verified who is asking: the limit stops someone guessing codes or passwords.";
    if (shownLimits.locked) {
      askToConfirm("Lift the lock? Codes and passwords are checked again at once, and the wrong attempts are forgotten." + caution,
        "Yes, lift it", liftLock, "The lock stays.");
    } else {
      askToConfirm("Forget the " + shownLimits.recentFailures + " wrong attempt(s)?" + caution, "Yes, forget them", liftLock, "Nothing was changed.");
    }
  });

  $("confirm-yes").addEventListener("click", () => {
    const pending = pendingConfirmation;
    pendingConfirmation = null;
    $("confirm").hidden = true;
    if (pending) {
      run(pending.onYes);
    }
  });

  $("confirm-no").addEventListener("click", () => {
    const pending = pendingConfirmation;
    pendingConfirmation = null;
    $("confirm").hidden = true;
    setStatus(pending ? pending.cancelled : "", "");
  });
})();
