// Dialogs: a form opened as a dialog (a button's result with target "new") shows in a
// modal <dialog> over the page that opened it, as a framed page (modal=1). Forms posted
// from a page with this script say so (o_modal=1): the server then asks the next page
// to open the dialog (data-open-dialog) rather than sending the browser to it.
// In the frame, "Close" and Escape close the dialog; when the framed page says it is
// done (data-dialog-done), this page goes where it says.
const MODAL_FIELD = "o_modal";

export function setupDialogs(root) {
    if (window.top !== window || typeof HTMLDialogElement !== "function") {
        return;
    }
    root.addEventListener("submit", (event) => {
        const form = event.target;
        if (form.method === "post" && !form.elements.namedItem(MODAL_FIELD)) {
            form.append(Object.assign(document.createElement("input"),
                                      {type: "hidden", name: MODAL_FIELD, value: "1"}));
        }
    });
    const opener = root.querySelector("[data-open-dialog]");
    if (opener) {
        opener.hidden = true;
        openDialog(opener.dataset.url);
    }
}

function openDialog(url) {
    const framed = new URL(url, window.location.href);
    framed.searchParams.set("modal", "1");
    const dialog = document.createElement("dialog");
    dialog.className = "o_modal";
    const frame = Object.assign(document.createElement("iframe"),
                                {className: "o_modal_frame", title: "Dialog", src: framed.href});
    const close = Object.assign(document.createElement("button"),
                                {type: "button", className: "o_modal_close", textContent: "×"});
    close.setAttribute("aria-label", "Close the dialog");
    close.addEventListener("click", () => dialog.close());
    dialog.append(close, frame);
    dialog.addEventListener("close", () => dialog.remove());
    frame.addEventListener("load", () => framedPageLoaded(dialog, frame));
    document.body.append(dialog);
    dialog.showModal();
}

function framedPageLoaded(dialog, frame) {
    const page = frame.contentDocument;
    if (!page) {
        return;
    }
    const done = page.querySelector("[data-dialog-done]");
    if (done) {
        window.location.assign(done.dataset.dialogDone);
        return;
    }
    const title = page.querySelector(".o_dialog_title")?.textContent.trim() || page.title;
    frame.title = title;
    dialog.setAttribute("aria-label", title);
    page.addEventListener("click", (event) => {
        if (event.target.closest("[data-dialog-close]")) {
            event.preventDefault();
            dialog.close();
        }
    });
    page.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && !event.defaultPrevented) {
            dialog.close();
        }
    });
    frame.focus();
}
