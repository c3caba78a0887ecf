/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clap-store.h"
#include "clap-task.h"

G_BEGIN_DECLS

#define CLAP_TYPE_DETAILS_WINDOW (clap_details_window_get_type ())
G_DECLARE_FINAL_TYPE (ClapDetailsWindow, clap_details_window, CLAP, DETAILS_WINDOW, AdwWindow)

ClapDetailsWindow *clap_details_window_new (GtkWindow *parent,
                                            ClapStore *store,
                                            ClapTask  *task);

G_END_DECLS
