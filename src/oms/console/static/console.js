// The console's one script: parts of a page that refresh themselves (the dashboard's figures), without
// reloading the page. Without it the page still works; it is only as fresh as its last load.
(function () {
  for (const part of document.querySelectorAll("[data-refresh]")) {
    const refresh = async () => {
      try {
        const answer = await fetch(part.dataset.refresh, { credentials: "same-origin" });
        if (answer.ok) part.innerHTML = await answer.text();
      } catch (e) { /* the next tick tries again */ }
    };
    setInterval(refresh, Number(part.dataset.every || 10000));
  }
})();
