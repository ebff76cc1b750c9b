// A page showing a job in progress ([data-refresh]: seconds) reloads itself, unless the
// user is changing its form or working in a dialog over it; its "Refresh" link does the
// same by hand.
export function setupRefresh(root) {
    const notice = root.querySelector("[data-refresh]");
    const link = notice?.querySelector("a[href]");
    if (!link) {
        return;
    }
    const delay = Math.max(1, Number(notice.dataset.refresh) || 3) * 1000;
    const reload = () => {
        if (root.querySelector("form[data-dirty], dialog[open]")) {
            setTimeout(reload, delay);
        } else {
            window.location.replace(link.href);
        }
    };
    setTimeout(reload, delay);
}
