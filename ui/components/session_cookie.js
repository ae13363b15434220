// Exchanges a one-time sign-in ticket for the HttpOnly session cookie (server.py's /_dlmi/session), or asks the
// server to clear it (/_dlmi/signout). Nothing is drawn; the cookie itself never passes through this script.
// What was sent is remembered per mount (the mount point may be a shadow root, which has no dataset), so a rerun
// with the same data sends nothing again.
const sent = new WeakMap();

export default function (component) {
  const { data, parentElement } = component;
  if (!data || !data.action) return;
  const marker = data.action + ":" + (data.ticket || "");
  if (sent.get(parentElement) === marker) return;
  sent.set(parentElement, marker);
  const base = (data.base || "").replace(/^\/+|\/+$/g, "");
  const url = window.location.origin + "/" + (base ? base + "/" : "") + (data.action === "open" ? "_dlmi/session" : "_dlmi/signout");
  fetch(url, { method: "POST", body: data.ticket || "", credentials: "same-origin" }).catch(() => {});
}
