/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clap-application.h"

G_BEGIN_DECLS

#define CLAP_TYPE_PREFERENCES (clap_preferences_get_type ())
G_DECLARE_FINAL_TYPE (ClapPreferences, clap_preferences, CLAP, PREFERENCES, AdwPreferencesWindow)

ClapPreferences *clap_preferences_new (ClapApplication *app);

G_END_DECLS
