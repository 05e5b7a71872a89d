// The support console: every value from the API is rendered with textContent, never as markup; the admin key lives in
// this closure only (no URL, cookie or storage), so a reload or a closed tab forgets it.
(function () {
  "use strict";

  let adminKey = null;
  let current = null; // { brand, customerId }
  let pendingConfirmation = null;

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
  };

  const kindNames = {
    "LOGIN": "Logged in",
    "KEY_REUSE_DETECTED": "Key reuse detected",
    "FAMILY_REVOKED": "Session ended",
    "PASSWORD_CHANGED": "Password changed",
    "PASSWORD_RESET": "Password reset",
    "IDENTIFIER_CHANGED": "Identifier changed",
    "DEVICE_KEY_MISMATCH": "Copied key refused",
  };

  class ApiError extends Error {}

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = kind || "";
  }

  async function api(method, path) {
    if (!adminKey) {
      throw new ApiError("Paste the admin key first (step 1).");
    }
    let response;
    try {
      response = await fetch(path, { method, headers: { "Authorization": "Bearer " + adminKey, "Accept": "application/json" }, cache: "no-store" });
    } catch (e) {
      throw new ApiError("The service could not be reached.");
    }
    if (response.status === 204) {
      return null;
    }
    const body = await response.json().catch(() => null);
    if (response.ok) {
      return body;
    }
    if (response.status === 401) {
      throw new ApiError("The admin key was refused (401). Check it and paste it again.");
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
        row.appendChild(document.createElement("td")).appendChild(button("Revoke…", "", () =>
          askToConfirm("Revoke the " + family.flow + " session on " + device + "? The customer logs in again there.",
            () => revokeOne(family.familyId))));
        body.appendChild(row);
      }
    }
    $("sessions").hidden = count === 0;
    $("no-sessions").hidden = count !== 0;
    $("revoke-all").disabled = count === 0;
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
      cell(row, event.device, "device masked");
      cell(row, event.flow);
      const why = event.kind === "LOGIN" ? "by " + event.factor
        : event.kind === "IDENTIFIER_CHANGED" ? "new value " + event.detail
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

  async function load() {
    const base = "/admin/v1/brands/" + encodeURIComponent(current.brand) + "/customers/" + encodeURIComponent(current.customerId);
    const [sessions, history] = await Promise.all([api("GET", base + "/sessions"), api("GET", base + "/events")]);
    $("customer-id").textContent = current.customerId;
    renderSessions(sessions.sessions);
    renderEvents(history.events);
    $("customer-section").hidden = false;
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

  function askToConfirm(text, onYes) {
    pendingConfirmation = onYes;
    $("confirm-text").textContent = text;
    $("confirm").hidden = false;
    $("confirm-no").focus();
  }

  async function revokeOne(familyId) {
    const base = "/admin/v1/brands/" + encodeURIComponent(current.brand) + "/customers/" + encodeURIComponent(current.customerId);
    await api("DELETE", base + "/sessions/" + encodeURIComponent(familyId));
    await load();
    setStatus("Revoked one session.", "ok");
  }

  async function revokeAll() {
    const base = "/admin/v1/brands/" + encodeURIComponent(current.brand) + "/customers/" + encodeURIComponent(current.customerId);
    const result = await api("DELETE", base + "/sessions");
    await load();
    setStatus("Logged out everywhere: " + result.revoked + " session(s) revoked.", "ok");
  }

  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("admin-key");
    adminKey = input.value.trim() || null;
    input.value = "";
    $("key-state").textContent = adminKey ? "A key is held for this tab." : "No key.";
    $("forget-key").hidden = !adminKey;
    setStatus("", "");
    $("identifier-value").focus();
  });

  $("forget-key").addEventListener("click", () => {
    adminKey = null;
    current = null;
    $("customer-section").hidden = true;
    $("forget-key").hidden = true;
    $("key-state").textContent = "The key is forgotten.";
  });

  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    run(async () => {
      $("customer-section").hidden = true;
      $("confirm").hidden = true;
      const brand = $("brand").value.trim();
      const type = $("identifier-type").value;
      const value = $("identifier-value").value.trim();
      setStatus("Searching…", "");
      const found = await api("GET", "/admin/v1/brands/" + encodeURIComponent(brand) + "/identifiers/" + encodeURIComponent(type) + "/" + encodeURIComponent(value));
      current = { brand, customerId: found.customerId };
      await load();
      setStatus("Found the customer.", "ok");
    });
  });

  $("refresh").addEventListener("click", () => run(async () => {
    await load();
    setStatus("Refreshed.", "ok");
  }));

  $("revoke-all").addEventListener("click", () =>
    askToConfirm("Log this customer out on every device and browser? Every session below ends.", revokeAll));

  $("confirm-yes").addEventListener("click", () => {
    const action = pendingConfirmation;
    pendingConfirmation = null;
    $("confirm").hidden = true;
    if (action) {
      run(action);
    }
  });

  $("confirm-no").addEventListener("click", () => {
    pendingConfirmation = null;
    $("confirm").hidden = true;
    setStatus("Nothing was revoked.", "");
  });
})();
