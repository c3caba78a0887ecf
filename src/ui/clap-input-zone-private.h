/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-input-zone.h"

G_BEGIN_DECLS

/* What a paste would bring, so the composer can pick the zone that fits. */
typedef enum {
  CLAP_CLIPBOARD_NONE,
  CLAP_CLIPBOARD_FILES,
  CLAP_CLIPBOARD_IMAGE,
  CLAP_CLIPBOARD_TEXT,
} ClapClipboardKind;

ClapClipboardKind  _clap_clipboard_get_kind            (GdkClipboard  *clipboard);
gboolean           _clap_input_zone_load_gvalue        (ClapInputZone *self,
                                                        const GValue  *value);

/* For tests: the parts a person sees and uses. */
GtkDropTarget     *_clap_input_zone_get_drop_target    (ClapInputZone *self);
GtkLabel          *_clap_input_zone_get_name_label     (ClapInputZone *self);
GtkLabel          *_clap_input_zone_get_details_label  (ClapInputZone *self);
GtkLabel          *_clap_input_zone_get_error_label    (ClapInputZone *self);
GtkPicture        *_clap_input_zone_get_thumbnail      (ClapInputZone *self);
GtkButton         *_clap_input_zone_get_choose_button  (ClapInputZone *self);
GObject           *_clap_input_zone_get_chooser        (ClapInputZone *self);

G_END_DECLS
