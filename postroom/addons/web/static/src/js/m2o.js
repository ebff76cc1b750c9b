// Many2one pickers (ARIA combobox): suggestions from /web/m2o/<model> as the user types,
// within the field's domain (data-m2o-domain). Picking fills the hidden input with the
// record's id; without a pick, the server resolves the typed name. In a many2many's
// "Add…" picker, a pick adds a checked tag.
import { call } from "./rpc.js";

const DELAY = 180;
const states = new WeakMap();
let sequence = 0;

export function setupPickers(root) {
    root.addEventListener("input", (event) => {
        const picker = pickerOf(event.target);
        if (picker) {
            picker.hidden.value = "";
            picker.schedule();
        }
    });
    root.addEventListener("keydown", (event) => pickerOf(event.target)?.keydown(event));
    root.addEventListener("focusout", (event) => {
        const picker = pickerOf(event.target);
        if (picker) {
            setTimeout(() => picker.close(), 150);
        }
    });
}

function pickerOf(element) {
    if (!(element instanceof HTMLInputElement) || element.getAttribute("role") !== "combobox") {
        return null;
    }
    const container = element.closest(".o_m2o");
    if (!container) {
        return null;
    }
    if (!states.has(container)) {
        states.set(container, new Picker(container, element));
    }
    return states.get(container);
}

class Picker {
    constructor(container, input) {
        this.container = container;
        this.input = input;
        this.hidden = container.querySelector("[data-m2o-value]");
        this.list = container.querySelector("[role=listbox]");
        this.url = container.dataset.m2oUrl;
        this.options = [];
        this.active = -1;
        this.timer = null;
    }

    schedule() {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.search(), DELAY);
    }

    async search() {
        const term = this.input.value.trim();
        const request = ++sequence;
        const domain = JSON.parse(this.container.dataset.m2oDomain || "[]");
        let records = [];
        try {
            records = await call(this.url, {term, limit: 8, domain});
        } catch {
            records = [];
        }
        if (request === sequence && document.activeElement === this.input) {
            this.show(records);
        }
    }

    show(records) {
        this.options = records;
        this.active = -1;
        this.list.replaceChildren(...records.map((record, index) => {
            const item = document.createElement("li");
            item.id = `${this.list.id}_${index}`;
            item.setAttribute("role", "option");
            item.setAttribute("aria-selected", "false");
            item.textContent = record.name;
            item.addEventListener("mousedown", (event) => {
                event.preventDefault();
                this.choose(index);
            });
            return item;
        }));
        if (!records.length) {
            const empty = document.createElement("li");
            empty.className = "o_m2o_empty";
            empty.textContent = "No match";
            this.list.append(empty);
        }
        this.list.hidden = false;
        this.input.setAttribute("aria-expanded", "true");
    }

    close() {
        this.list.hidden = true;
        this.input.setAttribute("aria-expanded", "false");
        this.input.removeAttribute("aria-activedescendant");
        this.active = -1;
    }

    highlight(index) {
        const items = [...this.list.querySelectorAll("[role=option]")];
        if (!items.length) {
            return;
        }
        this.active = (index + items.length) % items.length;
        items.forEach((item, position) => item.setAttribute("aria-selected", String(position === this.active)));
        this.input.setAttribute("aria-activedescendant", items[this.active].id);
        items[this.active].scrollIntoView({block: "nearest"});
    }

    choose(index) {
        const record = this.options[index];
        if (!record) {
            return;
        }
        this.close();
        if (this.hidden.name.endsWith(".add")) {
            this.addTag(record);
            return;
        }
        this.input.value = record.name;
        this.hidden.value = String(record.id);
        this.input.dispatchEvent(new Event("change", {bubbles: true}));
    }

    addTag(record) {
        const fieldName = this.hidden.name.slice(0, -".add".length);
        const fieldset = this.container.closest("fieldset");
        const id = `${fieldset.id}_${record.id}`;
        if (!document.getElementById(id)) {
            const choice = document.createElement("span");
            choice.className = "o_check_choice";
            const box = Object.assign(document.createElement("input"),
                                      {type: "checkbox", name: fieldName, value: String(record.id), id, checked: true});
            const label = Object.assign(document.createElement("label"), {htmlFor: id, textContent: record.name});
            choice.append(box, label);
            this.container.before(choice);
        }
        this.input.value = "";
        this.hidden.value = "";
        this.input.dispatchEvent(new Event("change", {bubbles: true}));
    }

    keydown(event) {
        const open = !this.list.hidden;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            if (!open) {
                this.search();
                return;
            }
            this.highlight(this.active + (event.key === "ArrowDown" ? 1 : -1));
        } else if (event.key === "Enter" && open && this.active >= 0) {
            event.preventDefault();
            this.choose(this.active);
        } else if (event.key === "Escape" && open) {
            event.stopPropagation();
            this.close();
        }
    }
}
