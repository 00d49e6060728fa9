// Reports the VOOM posts on screen once (one impression each per showing).
(function () {
  const feed = document.querySelector("[data-seen-url]");
  if (!feed) return;
  const ids = Array.from(document.querySelectorAll("[data-post-id]"))
    .map(function (el) { return Number(el.dataset.postId); })
    .filter(function (n) { return n > 0; });
  if (!ids.length) return;
  const csrf = feed.dataset.csrfToken;
  fetch(feed.dataset.seenUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
    body: JSON.stringify({ posts: ids }),
  }).catch(function () {});
})();
