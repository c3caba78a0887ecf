/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char *clap_exchanges_to_text (JsonNode *entries);

G_END_DECLS
