// Lists: a click on a row opens its record; the header checkbox selects every row;
// the bulk-action buttons are enabled only when rows are selected.
const INTERACTIVE = "a, button, input, label, select, textarea, summary";

export function setupLists(root) {
    for (const table of root.querySelectorAll("table.o_list")) {
        table.addEventListener("click", (event) => {
            const row = event.target.closest("tr[data-href]");
            if (row && !event.target.closest(INTERACTIVE) && !window.getSelection().toString()) {
                window.location.assign(row.dataset.href);
            }
        });
    }
    const bar = root.querySelector("[data-bulk-bar]");
    const all = root.querySelector("[data-select-all]");
    const rows = () => [...root.querySelectorAll("[data-select-row]")];
    const update = () => {
        const selected = rows().filter((box) => box.checked).length;
        if (all) {
            all.checked = selected > 0 && selected === rows().length;
            all.indeterminate = selected > 0 && selected < rows().length;
        }
        if (!bar) {
            return;
        }
        bar.classList.toggle("o_has_selection", selected > 0);
        for (const button of bar.querySelectorAll("[data-needs-selection]")) {
            button.disabled = selected === 0;
        }
        const count = bar.querySelector("[data-bulk-count]");
        if (count) {
            count.textContent = selected ? `${selected} selected` : "Select records to act on them.";
        }
    };
    all?.addEventListener("change", () => {
        for (const box of rows()) {
            box.checked = all.checked;
        }
        update();
    });
    root.addEventListener("change", (event) => {
        if (event.target.matches("[data-select-row]")) {
            update();
        }
    });
    update();
}
