/*
 * browser: one headless Debian chromium, driven by playwright-core (from
 * web/node_modules, pinned in web/package-lock.json), for the web
 * console's browser tests (tests/integration/test_web_browser.py).  It
 * reads one JSON request a line on stdin and answers each with one JSON
 * line on stdout, so that a pytest test drives real pages step by step
 * and waits for what it expects in its own way.
 *
 *   {"op": "open", "url": U, "width": W, "height": H, "insecure": B}
 *	-> {"page": N}: a page in a context of its own: a browser of its
 *	own, as far as the site can tell (no shared cookies or storage);
 *	insecure: take the test's certificates (signed by its own CA)
 *   {"op": "goto", "page": N, "url": U}
 *   {"op": "type", "page": N, "text": T}	keys as a person types them
 *   {"op": "click", "page": N, "selector": S}
 *   {"op": "submit", "page": N, "selector": S}  click, and wait for the
 *	page it leads to
 *   {"op": "fill", "page": N, "selector": S, "text": T}  an input's value
 *   {"op": "resize", "page": N, "width": W, "height": H}
 *   {"op": "screen", "page": N}	-> {"text": the terminal's lines}
 *   {"op": "eval", "page": N, "js": E}	-> {"value": E in the page}
 *   {"op": "shot", "page": N, "path": P}	a PNG screenshot
 *   {"op": "close", "page": N}
 *   {"op": "quit"}
 *
 * Errors are answered {"error": "..."}.  Chromium starts as the machine
 * allows it: as root without the sandbox, and with nothing that would
 * reach the network on its own.
 */
"use strict";

const path = require("path");
const readline = require("readline");

const root = path.resolve(__dirname, "..", "..");
const { chromium } = require(path.join(root, "web", "node_modules",
    "playwright-core"));

const pages = new Map();
let browser = null;
let next = 1;

/* launch makes a new, empty profile (--user-data-dir) every time. */
async function start() {
	browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		args: ["--headless", "--no-sandbox", "--disable-gpu",
		    "--disable-quic", "--no-first-run",
		    "--disable-background-networking",
		    "--disable-component-update", "--disable-sync"],
	});
}

/* The terminal's lines, scrollback included, trailing blanks cut. */
function screen() {
	const buf = window.ttyhub.term.buffer.active;
	const lines = [];

	for (let i = 0; i < buf.length; i++) {
		lines.push(buf.getLine(i).translateToString(true));
	}
	return lines.join("\n").replace(/\s+$/, "");
}

async function handle(req) {
	const page = pages.get(req.page);

	switch (req.op) {
	case "open": {
		const context = await browser.newContext({
			viewport: { width: req.width || 900, height: req.height || 600 },
			ignoreHTTPSErrors: !!req.insecure,
		});
		const p = await context.newPage();
		const n = next++;

		p.on("console", (m) => process.stderr.write("page " + n + ": " +
		    m.type() + ": " + m.text() + "\n"));
		p.on("pageerror", (e) => process.stderr.write("page " + n +
		    ": error: " + e.message + "\n"));
		pages.set(n, p);
		await p.goto(req.url);
		return { page: n };
	}
	case "type":
		await page.keyboard.type(req.text);
		return {};
	case "goto":
		await page.goto(req.url);
		return {};
	case "click":
		await page.click(req.selector);
		return {};
	case "submit":
		await Promise.all([page.waitForNavigation(),
		    page.click(req.selector)]);
		return {};
	case "fill":
		await page.fill(req.selector, req.text);
		return {};
	case "resize":
		await page.setViewportSize({ width: req.width, height: req.height });
		return {};
	case "screen":
		return { text: await page.evaluate(screen) };
	case "eval":
		return { value: await page.evaluate(req.js) };
	case "shot":
		await page.screenshot({ path: req.path });
		return {};
	case "close":
		pages.delete(req.page);
		await page.context().close();
		return {};
	default:
		throw new Error("unknown op " + req.op);
	}
}

async function main() {
	await start();
	const lines = readline.createInterface({ input: process.stdin });

	process.stdout.write(JSON.stringify({ ready: browser.version() }) + "\n");
	for await (const line of lines) {
		const req = JSON.parse(line);
		let answer;

		if (req.op === "quit") {
			break;
		}
		try {
			answer = await handle(req);
		} catch (e) {
			answer = { error: String(e && e.message || e) };
		}
		process.stdout.write(JSON.stringify(answer) + "\n");
	}
	lines.close();
	await browser.close();
	process.exit(0);
}

main().catch((e) => {
	process.stderr.write("browser: " + (e && e.stack || e) + "\n");
	process.exit(1);
});
