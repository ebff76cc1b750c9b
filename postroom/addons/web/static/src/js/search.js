// The search panel submits itself when a filter or a grouping changes.
export function setupSearch(root) {
    for (const form of root.querySelectorAll("form[data-autosubmit]")) {
        form.addEventListener("change", (event) => {
            if (event.target.matches("input[type=checkbox], input[type=radio], select")) {
                form.requestSubmit();
            }
        });
    }
}
