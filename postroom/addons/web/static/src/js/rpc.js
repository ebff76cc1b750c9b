// JSON-RPC calls to the backend's routes (with the page's CSRF token).
let sequence = 0;

// The result of calling url with params; throws when the call fails.
export async function call(url, params) {
    const token = document.querySelector("meta[name=csrf-token]")?.content || "";
    const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
        body: JSON.stringify({jsonrpc: "2.0", method: "call", id: ++sequence, params}),
    });
    const reply = await response.json();
    if (reply.error) {
        throw new Error(reply.error.message || "The call failed");
    }
    return reply.result;
}
