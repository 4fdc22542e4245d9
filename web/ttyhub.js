/*
 * ttyhub's terminal page: one console in xterm.js, over a WebSocket to
 * ttyhubd (doc/PROTOCOL.md, "Web console").  Binary messages are the
 * console's bytes, both ways, as they are; text messages are control
 * words.  Everything the daemon says of itself (notices, errors, roles)
 * is shown above the terminal, never in it.
 */
"use strict";

(function () {
	const PASTE_CHUNK = 64 * 1024;	/* the daemon takes up to 1 MiB */
	const SAID = ["ignored", "readonly", "break"];	/* error codes */

	const name = decodeURIComponent(location.pathname.replace(/^\/c\//, ""));
	const $ = (id) => document.getElementById(id);
	const encoder = new TextEncoder();
	const term = new Terminal({
		scrollback: 5000,
		fontFamily: "DejaVu Sans Mono, Menlo, Consolas, monospace",
		theme: { background: "#1d1f21", foreground: "#c5c8c6" },
	});
	const fit = new FitAddon.FitAddon();
	let ws = null;
	let who = [];

	/* The words we send: "size 80 24", "break", "rw", ... */
	function say(words) {
		if (ws !== null && ws.readyState === WebSocket.OPEN) {
			ws.send(words);
		}
	}

	/* Console input goes as bytes, in pieces under the daemon's cap. */
	function type(bytes) {
		if (ws === null || ws.readyState !== WebSocket.OPEN) {
			return;
		}
		for (let i = 0; i < bytes.length; i += PASTE_CHUNK) {
			ws.send(bytes.subarray(i, i + PASTE_CHUNK));
		}
	}

	function notice(text, error) {
		const el = $("notice");
		el.textContent = text;
		el.className = error ? "error" : "";
	}

	function badge(id, text) {
		const el = $(id);
		el.textContent = text;
		el.className = "badge " + text;
	}

	/* One control message from the daemon. */
	function control(msg) {
		const sp = msg.indexOf(" ");
		const word = sp < 0 ? msg : msg.slice(0, sp);
		const text = sp < 0 ? "" : msg.slice(sp + 1);

		switch (word) {
		case "state": {
			const [, role, backend] = text.split(" ");
			badge("role", role);
			badge("backend", backend);
			break;
		}
		case "notice":
			notice(text, false);
			break;
		case "error":
			/* These follow a notice that has said why, for people. */
			if (!SAID.includes(text.split(" ", 1)[0])) {
				notice(text.slice(text.indexOf(" ") + 1), true);
			}
			break;
		case "who-line":
			who.push(text.split("\t"));
			break;
		case "who-end":
			$("who-list").textContent = who.map(([role, you, peer]) =>
			    role.padEnd(7) + peer + (you === "you" ? "  (you)" : ""))
			    .join("\n");
			$("who-list").hidden = false;
			who = [];
			break;
		}
		/* replay-end, pong and words we do not know: nothing to show. */
	}

	function connect() {
		const scheme = location.protocol === "https:" ? "wss:" : "ws:";

		ws = new WebSocket(scheme + "//" + location.host + "/ws/" +
		    encodeURIComponent(name) + location.search, "ttyhub");
		ws.binaryType = "arraybuffer";
		ws.onopen = () => {
			$("reconnect").hidden = true;
			say("size " + term.cols + " " + term.rows);
		};
		ws.onmessage = (ev) => {
			if (typeof ev.data === "string") {
				control(ev.data);
			} else {
				term.write(new Uint8Array(ev.data));
			}
		};
		ws.onclose = (ev) => {
			badge("role", "closed");
			notice("disconnected" + (ev.reason ? ": " + ev.reason : ""),
			    true);
			$("reconnect").hidden = false;
			ws = null;
		};
	}

	document.title = name + " - ttyhub";
	$("name").textContent = name;
	term.loadAddon(fit);
	term.open($("term"));
	fit.fit();
	term.focus();

	term.onData((data) => type(encoder.encode(data)));
	term.onBinary((data) =>
	    type(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
	term.onResize(({ cols, rows }) => say("size " + cols + " " + rows));
	/* The window, or the lines above the terminal, changed its room. */
	new ResizeObserver(() => fit.fit()).observe($("term"));

	for (const word of ["rw", "force", "ro", "break", "who"]) {
		$(word).addEventListener("click", () => {
			say(word);
			term.focus();
		});
	}
	$("reconnect").addEventListener("click", () => {
		term.reset();
		connect();
	});

	/* For the browser tests and anyone curious, in the console. */
	window.ttyhub = { term: term };

	connect();
})();
