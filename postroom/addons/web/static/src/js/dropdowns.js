// Drop-down menus are <details> elements: keep one open at a time, close them on
// Escape (focus returns to their summary) and on a click elsewhere.
export function setupDropdowns(root) {
    const dropdowns = () => root.querySelectorAll("details.o_dropdown[open]");
    root.addEventListener("toggle", (event) => {
        const opened = event.target;
        if (!(opened instanceof HTMLDetailsElement) || !opened.open) {
            return;
        }
        for (const other of dropdowns()) {
            if (other !== opened && !other.contains(opened)) {
                other.open = false;
            }
        }
    }, true);
    root.addEventListener("click", (event) => {
        for (const open of dropdowns()) {
            if (!open.contains(event.target)) {
                open.open = false;
            }
        }
    });
    root.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") {
            return;
        }
        for (const open of dropdowns()) {
            open.open = false;
            open.querySelector("summary")?.focus();
        }
    });
}
