// The chatter: "Send message" / "Log note" open their composer, Ctrl+Enter sends,
// the chosen files are named, and "Load older messages" appends the next page.
// Without this script both composers are simply shown and the page works the same.
for (const chatter of document.querySelectorAll("[data-chatter]")) {
    setupComposers(chatter);
    setupLoadMore(chatter);
}

function setupComposers(chatter) {
    const toggles = [...chatter.querySelectorAll("[data-composer-toggle]")];
    const composerOf = (toggle) => document.getElementById(toggle.getAttribute("aria-controls"));
    const open = (toggle, expanded) => {
        toggle.setAttribute("aria-expanded", String(expanded));
        toggle.classList.toggle("o_btn_primary", expanded);
        toggle.classList.toggle("o_btn_secondary", !expanded);
        composerOf(toggle).hidden = !expanded;
    };
    for (const toggle of toggles) {
        toggle.hidden = false;
        open(toggle, false);
        toggle.addEventListener("click", () => {
            const expand = toggle.getAttribute("aria-expanded") !== "true";
            for (const other of toggles) {
                open(other, expand && other === toggle);
            }
            if (expand) {
                composerOf(toggle).querySelector("textarea").focus();
            }
        });
    }
    for (const form of chatter.querySelectorAll("form[data-composer]")) {
        const chosen = form.querySelector("[data-composer-chosen]");
        form.addEventListener("change", (event) => {
            if (event.target.type === "file") {
                const names = [...event.target.files].map((file) => file.name);
                chosen.textContent = names.join(", ");
            }
        });
        form.addEventListener("keydown", (event) => {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA") {
                event.preventDefault();
                form.requestSubmit();
            }
        });
        form.addEventListener("submit", () => {
            // one click, one message: the page reloads once the server answers
            setTimeout(() => { form.querySelector("[type=submit]").disabled = true; });
        });
    }
}

function setupLoadMore(chatter) {
    const button = chatter.querySelector("[data-chatter-more]");
    const list = chatter.querySelector("[data-chatter-messages]");
    const status = chatter.querySelector("[data-chatter-status]");
    if (!button || !list) {
        return;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
        button.disabled = true;
        try {
            const response = await fetch(button.dataset.chatterMore, {credentials: "same-origin"});
            if (!response.ok) {
                throw new Error(response.statusText);
            }
            const before = list.children.length;
            list.insertAdjacentHTML("beforeend", await response.text());
            const added = list.children.length - before;
            status.textContent = `${added} older ${added === 1 ? "message" : "messages"} loaded.`;
            list.children[before]?.setAttribute("tabindex", "-1");
            list.children[before]?.focus();
            const next = response.headers.get("X-Chatter-More");
            if (next) {
                button.dataset.chatterMore = next;
            } else {
                button.remove();
            }
        } catch {
            status.textContent = "The older messages could not be loaded; reload the page to try again.";
        } finally {
            button.disabled = false;
        }
    });
}
