// Forms: notebook tabs, "Add a line" in one2many tables, and a warning before
// leaving a form with unsaved changes.
export function setupForms(root) {
    for (const notebook of root.querySelectorAll("[data-tabs]")) {
        setupTabs(notebook);
    }
    for (const lines of root.querySelectorAll("[data-o2m]")) {
        setupLines(lines);
    }
    for (const form of root.querySelectorAll("form[data-dirty-check]")) {
        setupDirtyCheck(form);
    }
}

function setupTabs(notebook) {
    const tabs = [...notebook.querySelectorAll(":scope > [role=tablist] > [role=tab]")];
    const select = (tab, focus) => {
        for (const other of tabs) {
            const selected = other === tab;
            other.setAttribute("aria-selected", String(selected));
            other.tabIndex = selected ? 0 : -1;
            document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
        }
        if (focus) {
            tab.focus();
        }
    };
    const withError = tabs.find((tab) => document.getElementById(
        tab.getAttribute("aria-controls")).querySelector("[aria-invalid=true]"));
    select(withError || tabs[0], false);
    notebook.addEventListener("click", (event) => {
        const tab = event.target.closest("[role=tab]");
        if (tab && tabs.includes(tab)) {
            event.preventDefault();
            select(tab, false);
        }
    });
    notebook.addEventListener("keydown", (event) => {
        const index = tabs.indexOf(document.activeElement);
        if (index < 0 || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) {
            return;
        }
        event.preventDefault();
        const next = {ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: tabs.length - 1}[event.key];
        select(tabs[(next + tabs.length) % tabs.length], true);
    });
}

function setupLines(container) {
    const template = container.querySelector("template[data-o2m-template]");
    const button = container.querySelector("[data-o2m-add]");
    const body = container.querySelector("tbody");
    if (!template || !button || !body) {
        return;
    }
    let counter = body.querySelectorAll("tr").length + 100;
    button.hidden = false;
    button.addEventListener("click", () => {
        counter += 1;
        const html = template.innerHTML.replaceAll("__KEY__", `new${counter}`);
        body.insertAdjacentHTML("beforeend", html);
        body.lastElementChild.querySelector("input:not([type=hidden]), select, textarea")?.focus();
    });
}

// A form with unsaved changes carries data-dirty (refresh.js waits for it to be saved).
function setupDirtyCheck(form) {
    const mark = (dirty) => form.toggleAttribute("data-dirty", dirty);
    form.addEventListener("input", () => mark(true));
    form.addEventListener("change", () => mark(true));
    form.addEventListener("submit", () => mark(false));
    window.addEventListener("beforeunload", (event) => {
        if (form.hasAttribute("data-dirty")) {
            event.preventDefault();
            event.returnValue = "";
        }
    });
}
