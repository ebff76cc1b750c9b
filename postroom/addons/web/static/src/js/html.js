// HTML fields: opening "Preview" shows the source being edited as the server sanitizes
// it (/web/html/preview): never the source itself.
import { call } from "./rpc.js";

export function setupHtmlPreviews(root) {
    for (const preview of root.querySelectorAll("details[data-html-preview]")) {
        const source = preview.closest(".o_html_field")?.querySelector("textarea");
        const body = preview.querySelector("[data-html-preview-body]");
        if (!source || !body) {
            continue;
        }
        let shown = source.value;
        preview.addEventListener("toggle", async () => {
            if (!preview.open || source.value === shown) {
                return;
            }
            const text = source.value;
            body.setAttribute("aria-busy", "true");
            try {
                body.innerHTML = (await call("/web/html/preview", {source: text})).html;
                shown = text;
            } catch {
                body.textContent = "The preview is not available; save to see it.";
            } finally {
                body.removeAttribute("aria-busy");
            }
        });
    }
}
