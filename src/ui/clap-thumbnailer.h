/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clap-task.h"

G_BEGIN_DECLS

void        clap_thumbnailer_request  (ClapTask    *task);
GdkTexture *clap_thumbnailer_extract  (const char  *video_path,
                                       int          width,
                                       GError     **error);

G_END_DECLS
