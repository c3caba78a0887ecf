/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define CLAP_TYPE_VIDEO_PAINTABLE (clap_video_paintable_get_type ())
G_DECLARE_FINAL_TYPE (ClapVideoPaintable, clap_video_paintable, CLAP, VIDEO_PAINTABLE, GObject)

/* Counters of the frames that went through the paintable, for tests and
 * the benchmark. */
typedef struct
{
  guint64 received;  /* samples handed over by the sink */
  guint64 shown;     /* samples that became the current texture */
  guint64 replaced;  /* samples a newer one overtook before it could be shown */
  guint64 drawn;     /* distinct textures drawn by a snapshot */
} ClapVideoPaintableStats;

ClapVideoPaintable *clap_video_paintable_new        (void);
GstElement         *clap_video_paintable_create_sink (ClapVideoPaintable      *self);
void                clap_video_paintable_set_bounds (ClapVideoPaintable      *self,
                                                     int                      width,
                                                     int                      height);
void                clap_video_paintable_set_cairo_renderer (ClapVideoPaintable *self,
                                                             gboolean            cairo_renderer);
void                clap_video_paintable_clear      (ClapVideoPaintable      *self);
GdkTexture         *clap_video_paintable_get_texture (ClapVideoPaintable     *self);
GstClockTime        clap_video_paintable_get_frame_time (ClapVideoPaintable  *self);
void                clap_video_paintable_get_stats  (ClapVideoPaintable      *self,
                                                     ClapVideoPaintableStats *stats);

G_END_DECLS
