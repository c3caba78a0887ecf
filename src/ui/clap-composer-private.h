/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clap-composer.h"
#include "clap-input-zone.h"

G_BEGIN_DECLS

struct _ClapComposer
{
  GtkWidget            parent_instance;

  ClapRequest         *request;
  GSettings           *settings;
  GCancellable        *cancellable;
  GtkDropTarget       *drop_target;
  guint                n_takes;
  gboolean             syncing;   /* widgets follow the request: do not write back */
  gboolean             restoring; /* settings are being read: do not write them */

  /* The option rows made from the catalogue for the model shown. */
  const ClapModelSpec *shown_model;
  GPtrArray           *rows;
  GtkWidget           *option_rows[CLAP_N_OPTIONS];
  GPtrArray           *voice_rows;

  /* template */
  GtkWidget           *clamp;
  AdwComboRow         *model_row;
  GtkLabel            *model_description;
  GtkLabel            *counter_label;
  GtkTextView         *prompt_view;
  GtkLabel            *prompt_placeholder;
  GtkWidget           *negative_list;
  AdwExpanderRow      *negative_row;
  GtkTextView         *negative_view;
  GtkLabel            *negative_counter;
  GtkWidget           *inputs_group;
  ClapInputZone       *image_zone;
  ClapInputZone       *tail_zone;
  ClapInputZone       *motion_zone;
  AdwPreferencesGroup *options_group;
  GtkSpinButton       *takes_spin;
  GtkLabel            *price_label;
  GtkLabel            *price_detail;
  GtkButton           *generate_button;
  GtkLabel            *reason_label;
};

/* clap-composer-options.c: the option rows of the chosen model */
void           _clap_composer_sync_options      (ClapComposer *self);
void           _clap_composer_options_dispose   (ClapComposer *self);
void           _clap_composer_clear_voices      (ClapComposer *self);
void           _clap_composer_set_option        (ClapComposer *self,
                                                 ClapOption    option,
                                                 const char   *value);
void           _clap_composer_insert_voice      (ClapComposer *self,
                                                 guint         number);

/* For tests: the parts a person sees and uses. */
ClapInputZone *_clap_composer_get_zone          (ClapComposer *self,
                                                 ClapOption    slot);
GtkWidget     *_clap_composer_get_option_row    (ClapComposer *self,
                                                 ClapOption    option);
GtkWidget     *_clap_composer_get_voice_row     (ClapComposer *self,
                                                 guint         index);
GPtrArray     *_clap_composer_get_rows          (ClapComposer *self);
AdwComboRow   *_clap_composer_get_model_row     (ClapComposer *self);
GtkTextView   *_clap_composer_get_prompt_view   (ClapComposer *self);
GtkWidget     *_clap_composer_get_negative_row  (ClapComposer *self);
GtkLabel      *_clap_composer_get_counter_label (ClapComposer *self);
GtkSpinButton *_clap_composer_get_takes_spin    (ClapComposer *self);
GtkLabel      *_clap_composer_get_price_label   (ClapComposer *self);
GtkLabel      *_clap_composer_get_price_detail  (ClapComposer *self);
GtkButton     *_clap_composer_get_generate_button (ClapComposer *self);
GtkLabel      *_clap_composer_get_reason_label  (ClapComposer *self);
GtkDropTarget *_clap_composer_get_drop_target   (ClapComposer *self);

G_END_DECLS
