/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clap-request.h"

G_BEGIN_DECLS

#define CLAP_TYPE_COMPOSER (clap_composer_get_type ())
G_DECLARE_FINAL_TYPE (ClapComposer, clap_composer, CLAP, COMPOSER, GtkWidget)

ClapComposer *clap_composer_new          (void);
ClapRequest  *clap_composer_get_request  (ClapComposer *self);
void          clap_composer_load_request (ClapComposer *self,
                                          ClapRequest  *request);
void          clap_composer_set_settings (ClapComposer *self,
                                          GSettings    *settings);
void          clap_composer_generate     (ClapComposer *self);
gboolean      clap_composer_paste        (ClapComposer *self);

G_END_DECLS
