// Buttons with data-confirm="question" ask before submitting their form.
export function setupConfirmations(root) {
    root.addEventListener("click", (event) => {
        const button = event.target.closest("[data-confirm]");
        if (button && !window.confirm(button.dataset.confirm)) {
            event.preventDefault();
            event.stopImmediatePropagation();
        }
    }, true);
}
