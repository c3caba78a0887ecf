/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clap-task.h"

G_BEGIN_DECLS

#define CLAP_TYPE_TASK_ROW (clap_task_row_get_type ())
G_DECLARE_FINAL_TYPE (ClapTaskRow, clap_task_row, CLAP, TASK_ROW, GtkWidget)

ClapTaskRow *clap_task_row_new      (void);
ClapTask    *clap_task_row_get_task (ClapTaskRow *self);
void         clap_task_row_set_task (ClapTaskRow *self,
                                     ClapTask    *task);

G_END_DECLS
