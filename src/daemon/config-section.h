/*
 * config-section: a section of the configuration file begun, ended and,
 * once the file is read, tied to the others (config-section.c).  Each
 * returns 0, or -1 with the parse failed (config-parser.h).
 */
#ifndef TTYHUB_CONFIG_SECTION_H
#define TTYHUB_CONFIG_SECTION_H

#include "config-parser.h"

/*
 * A new [console NAME], [login NAME] or [network NAME] at the parser's
 * line, with its defaults, made the section being read.  name is a good
 * one (cfg_header checked it); one used twice fails here.
 */
int	cfg_new_console(struct cfg_parser *p, const char *name);
int	cfg_new_login(struct cfg_parser *p, const char *name);
int	cfg_new_network(struct cfg_parser *p, const char *name);

/*
 * The section being read is complete (the next header or the end of the
 * file): check it as a whole and take its digest.  Afterwards no section
 * is being read.
 */
int	cfg_section_end(struct cfg_parser *p);

/*
 * Every section read: tie vhost-port consoles to their vhost-user
 * devices, give each port no section names a console NAME.N, and take
 * each port's digest anew.
 */
int	cfg_vhost_ports(struct cfg_parser *p);

#endif
