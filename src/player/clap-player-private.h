/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

#include "clap-player.h"
#include "clap-video-paintable.h"

G_BEGIN_DECLS

/* For tests and the benchmark: what the widget drives and what it showed. */
GstElement *_clap_player_get_pipeline    (ClapPlayer              *self);
void        _clap_player_get_frame_stats (ClapPlayer              *self,
                                          ClapVideoPaintableStats *stats,
                                          guint64                 *late_dropped);

G_END_DECLS
