/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean _clap_replace_string (char               **field,
                               const char          *value);
gboolean _clap_replace_strv   (GStrv               *field,
                               const char * const  *value);

G_END_DECLS
