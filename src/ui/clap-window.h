/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clap-application.h"

G_BEGIN_DECLS

#define CLAP_TYPE_WINDOW (clap_window_get_type ())
G_DECLARE_FINAL_TYPE (ClapWindow, clap_window, CLAP, WINDOW, AdwApplicationWindow)

ClapWindow *clap_window_new           (ClapApplication *app);
void        clap_window_set_session   (ClapWindow      *self,
                                       ClapSession     *session,
                                       gboolean         demo);
ClapSession *clap_window_get_session  (ClapWindow      *self);
void        clap_window_show_message  (ClapWindow      *self,
                                       const char      *message);
void        clap_window_show_history_error (ClapWindow   *self,
                                            const GError *error);
void        clap_window_preview       (ClapWindow      *self,
                                       ClapTask        *task);
ClapTask   *clap_window_get_previewed (ClapWindow      *self);

G_END_DECLS
