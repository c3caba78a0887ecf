/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void clap_button_name_after_label (GtkButton *button);

G_END_DECLS
