/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What a zone accepts: a still image (first frame, last frame, character)
 * or a motion video. */
typedef enum {
  CLAP_INPUT_KIND_IMAGE,
  CLAP_INPUT_KIND_VIDEO,
} ClapInputKind;

#define CLAP_TYPE_INPUT_KIND (clap_input_kind_get_type ())
GType clap_input_kind_get_type (void) G_GNUC_CONST;

#define CLAP_TYPE_INPUT_ZONE (clap_input_zone_get_type ())
G_DECLARE_FINAL_TYPE (ClapInputZone, clap_input_zone, CLAP, INPUT_ZONE, GtkWidget)

ClapInputZone *clap_input_zone_new              (ClapInputKind  kind);

ClapInputKind  clap_input_zone_get_kind         (ClapInputZone *self);
void           clap_input_zone_set_kind         (ClapInputZone *self,
                                                 ClapInputKind  kind);
const char    *clap_input_zone_get_title        (ClapInputZone *self);
void           clap_input_zone_set_title        (ClapInputZone *self,
                                                 const char    *title);
const char    *clap_input_zone_get_hint         (ClapInputZone *self);
void           clap_input_zone_set_hint         (ClapInputZone *self,
                                                 const char    *hint);
double         clap_input_zone_get_max_seconds  (ClapInputZone *self);
void           clap_input_zone_set_max_seconds  (ClapInputZone *self,
                                                 double         max_seconds);

const char    *clap_input_zone_get_value        (ClapInputZone *self);
double         clap_input_zone_get_duration     (ClapInputZone *self);
void           clap_input_zone_set_duration     (ClapInputZone *self,
                                                 double         seconds);
gboolean       clap_input_zone_get_busy         (ClapInputZone *self);
const char    *clap_input_zone_get_error        (ClapInputZone *self);

void           clap_input_zone_load_file        (ClapInputZone *self,
                                                 GFile         *file);
gboolean       clap_input_zone_load_url         (ClapInputZone *self,
                                                 const char    *url);
void           clap_input_zone_load_value       (ClapInputZone *self,
                                                 const char    *value,
                                                 double         duration);
void           clap_input_zone_load_texture     (ClapInputZone *self,
                                                 GdkTexture    *texture);
gboolean       clap_input_zone_load_text        (ClapInputZone *self,
                                                 const char    *text);
void           clap_input_zone_clear            (ClapInputZone *self);
gboolean       clap_input_zone_paste            (ClapInputZone *self,
                                                 GdkClipboard  *clipboard);

G_END_DECLS
