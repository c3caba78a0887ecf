/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean _clap_replace_string (char               **field,
                               const char          *value);
gboolean _clap_replace_strv   (GStrv               *field,
                               const char * const  *value);

gboolean    _clap_host_is_loopback     (const char *host);

const char *_clap_process_token        (void);
char       *_clap_process_token_for_pid (int pid);
gboolean    _clap_process_token_is_alive (const char *token);

G_END_DECLS
