/*
 * web-asset: the files the web console serves as they are, built into
 * the daemon: xterm.js, its stylesheet and its fit addon from
 * web/node_modules (npm ci, from web/package-lock.json), xterm.js's
 * licence, and the page's own terminal page, script and stylesheet from
 * web/.  The assembler's .incbin copies each file in when this is
 * compiled, so nothing is read at run time and nothing comes from
 * elsewhere: the console works offline, and what is served is what was
 * built.  See web.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "web.h"

#define WEB_NPM		"web/node_modules/"

/*
 * sym: the bytes of file, then sym_end.  Hidden: no other object sees
 * them, and the compiler may reach them without the GOT.
 */
#define WEB_ASSET(sym, file)						\
	__asm__(".section .rodata\n"					\
	    ".globl " #sym "\n"						\
	    ".hidden " #sym "\n"					\
	    ".globl " #sym "_end\n"					\
	    ".hidden " #sym "_end\n"					\
	    ".balign 16\n"						\
	    #sym ":\n"							\
	    ".incbin \"" file "\"\n"					\
	    #sym "_end:\n"						\
	    ".byte 0\n"							\
	    ".previous\n");						\
	extern const uint8_t sym[] __attribute__((visibility("hidden")));	\
	extern const uint8_t sym##_end[] __attribute__((visibility("hidden")))

WEB_ASSET(web_asset_xterm_js, WEB_NPM "@xterm/xterm/lib/xterm.js");
WEB_ASSET(web_asset_xterm_css, WEB_NPM "@xterm/xterm/css/xterm.css");
WEB_ASSET(web_asset_xterm_licence, WEB_NPM "@xterm/xterm/LICENSE");
WEB_ASSET(web_asset_fit_js, WEB_NPM "@xterm/addon-fit/lib/addon-fit.js");
WEB_ASSET(web_asset_fit_licence, WEB_NPM "@xterm/addon-fit/LICENSE");
WEB_ASSET(web_asset_page, "web/console.html");
WEB_ASSET(web_asset_js, "web/ttyhub.js");
WEB_ASSET(web_asset_css, "web/ttyhub.css");

#define JS	"text/javascript; charset=utf-8"
#define CSS	"text/css; charset=utf-8"
#define TEXT	"text/plain; charset=utf-8"
#define HTML	"text/html; charset=utf-8"

/* Lengths are found at the first lookup: end less start is no constant. */
static struct {
	struct web_asset	 a;
	const uint8_t		*end;
} web_assets[] = {
	{ { "/static/xterm.js", JS, web_asset_xterm_js, 0 },
	  web_asset_xterm_js_end },
	{ { "/static/xterm.css", CSS, web_asset_xterm_css, 0 },
	  web_asset_xterm_css_end },
	{ { "/static/xterm-LICENSE.txt", TEXT, web_asset_xterm_licence, 0 },
	  web_asset_xterm_licence_end },
	{ { "/static/addon-fit.js", JS, web_asset_fit_js, 0 },
	  web_asset_fit_js_end },
	{ { "/static/addon-fit-LICENSE.txt", TEXT, web_asset_fit_licence,
	  0 }, web_asset_fit_licence_end },
	{ { "/static/ttyhub.js", JS, web_asset_js, 0 }, web_asset_js_end },
	{ { "/static/ttyhub.css", CSS, web_asset_css, 0 },
	  web_asset_css_end },
	{ { NULL, HTML, web_asset_page, 0 }, web_asset_page_end },
};
#define WEB_NASSETS	(sizeof web_assets / sizeof web_assets[0])

static const struct web_asset *
web_asset_at(size_t i)
{
	web_assets[i].a.len = (size_t)(web_assets[i].end -
	    web_assets[i].a.data);
	return &web_assets[i].a;
}

const struct web_asset *
web_asset_find(const char *path)
{
	size_t	i;

	for (i = 0; i < WEB_NASSETS; i++) {
		if (web_assets[i].a.path != NULL &&
		    strcmp(web_assets[i].a.path, path) == 0) {
			return web_asset_at(i);
		}
	}
	return NULL;
}

const struct web_asset *
web_asset_console(void)
{
	return web_asset_at(WEB_NASSETS - 1);
}
