/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clap-session.h"

G_BEGIN_DECLS

#define CLAP_TYPE_APPLICATION (clap_application_get_type ())
G_DECLARE_FINAL_TYPE (ClapApplication, clap_application, CLAP, APPLICATION, AdwApplication)

ClapApplication *clap_application_new             (void);
GSettings       *clap_application_get_settings    (ClapApplication *self);
ClapSession     *clap_application_get_session     (ClapApplication *self);
gboolean         clap_application_get_demo        (ClapApplication *self);
const char      *clap_application_get_key_status  (ClapApplication *self);
void             clap_application_set_api_key     (ClapApplication *self,
                                                   const char      *key);
gboolean         clap_application_has_api_key     (ClapApplication *self);
gboolean         clap_application_key_from_environment (ClapApplication *self);

G_END_DECLS
