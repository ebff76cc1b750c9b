// Entry point of the backend's scripts: each module enhances the markup it finds.
// Pages work without them; they add comfort (autocomplete, tabs, confirmations, dialogs).
import { setupDropdowns } from "./dropdowns.js";
import { setupConfirmations } from "./confirm.js";
import { setupLists } from "./list.js";
import { setupSearch } from "./search.js";
import { setupPickers } from "./m2o.js";
import { setupForms } from "./form.js";
import { setupDialogs } from "./dialog.js";
import { setupRefresh } from "./refresh.js";
import { setupHtmlPreviews } from "./html.js";

document.documentElement.classList.add("o_js");
for (const setup of [setupDropdowns, setupConfirmations, setupLists, setupSearch, setupPickers,
                     setupForms, setupDialogs, setupRefresh, setupHtmlPreviews]) {
    setup(document);
}
