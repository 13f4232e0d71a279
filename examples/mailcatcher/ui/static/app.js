// mailcatcher's page: live updates of the list (Server-Sent Events from
// /events), announced to screen readers, and keyboard shortcuts. The page
// works without it; the server renders everything.
(() => {
  "use strict";
  const list = document.getElementById("list");
  const live = document.getElementById("live");

  // Forms that ask first (Delete all).
  document.addEventListener("submit", (e) => {
    const question = e.target.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  });

  // The list is rendered again by the server (/list) when the mailbox
  // changes; one request at a time, one more if changes came meanwhile.
  let loading = false, again = false;
  const arrived = [];
  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    const params = new URLSearchParams(location.search);
    const query = new URLSearchParams();
    for (const k of ["q", "page"]) if (params.get(k)) query.set(k, params.get(k));
    query.set("selected", list.dataset.selected || "0");
    fetch("/list?" + query, { headers: { Accept: "text/html" } })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
      .then((html) => {
        const focused = list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
        list.innerHTML = html; // our own server's fragment, escaped by html/template
        if (focused) list.querySelector(`a[data-id="${CSS.escape(focused)}"]`)?.focus();
        announce();
      })
      .catch(() => {})
      .finally(() => {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  // Screen readers hear what arrived, once the list shows it.
  function announce() {
    if (arrived.length === 0) return;
    const text = arrived.length === 1
      ? `New message from ${arrived[0].sender}: ${arrived[0].subject || "(no subject)"}`
      : `${arrived.length} new messages`;
    arrived.length = 0;
    const p = document.createElement("p");
    p.textContent = text;
    live.append(p);
    while (live.childElementCount > 3) live.firstElementChild.remove();
  }

  if (window.EventSource) {
    // From the newest message the page showed: none that comes while it
    // loads is missed.
    const events = new EventSource("/events?after=" + encodeURIComponent(list.dataset.newest || "0"));
    events.addEventListener("new", (e) => {
      try { arrived.push(JSON.parse(e.data)); } catch (_) { /* a message without details */ }
      refresh();
    });
    events.addEventListener("change", refresh);
  }

  // Keys: / searches, j and k move through the list, Delete deletes the
  // open message. Not while typing.
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest("input, textarea, select, [contenteditable]")) return;
    if (e.key === "/") {
      e.preventDefault();
      document.getElementById("q").focus();
    } else if (e.key === "j" || e.key === "k") {
      const links = [...list.querySelectorAll("a[data-id]")];
      if (links.length === 0) return;
      let i = links.indexOf(document.activeElement);
      if (i < 0) i = links.findIndex((a) => a.getAttribute("aria-current") === "page");
      i = i < 0 ? 0 : Math.max(0, Math.min(links.length - 1, i + (e.key === "j" ? 1 : -1)));
      links[i].focus();
      e.preventDefault();
    } else if (e.key === "Delete") {
      const form = document.getElementById("delete-form");
      if (form) { e.preventDefault(); form.requestSubmit(); }
    }
  });
})();
