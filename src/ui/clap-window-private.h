/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clap-composer.h"
#include "clap-player.h"
#include "clap-split-view.h"
#include "clap-window.h"

G_BEGIN_DECLS

struct _ClapWindow
{
  AdwApplicationWindow  parent_instance;

  ClapSession          *session;
  ClapTask             *previewed;
  GtkFilterListModel   *filtered;
  GtkCustomFilter      *state_filter_model;
  GtkStringFilter      *text_filter;
  GSettings            *settings;
  ClapPlayer           *player;
  GCancellable         *cancellable;

  /* template */
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkWidget            *demo_badge;
  gboolean              demo;
  GtkRevealer          *demo_banner;
  GtkButton            *enter_key_button;
  GtkRevealer          *catalog_banner;
  AdwStatusPage        *broken_page;
  GtkButton            *set_aside_button;
  GtkButton            *reopen_button;
  gboolean              history_broken;
  GtkLabel             *catalog_label;
  ClapSplitView        *split_view;
  ClapComposer         *composer;
  GtkRevealer          *preview_revealer;
  GtkLabel             *preview_title;
  AdwBin               *player_bin;
  GtkSearchBar         *search_bar;
  GtkToggleButton      *search_button;
  GtkSearchEntry       *search_entry;
  GtkDropDown          *state_filter;
  GtkStack             *takes_stack;
  GtkSpinner           *loading_spinner;
  GtkGridView          *takes_view;
};

ClapTask *_clap_window_find_task        (ClapWindow *self,
                                         GVariant   *uid);
void      _clap_window_class_add_actions (GtkWidgetClass *widget_class);
void      _clap_window_save_task        (ClapWindow *self,
                                         ClapTask   *task,
                                         gboolean    ask);

G_END_DECLS
