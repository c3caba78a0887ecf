/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CLAP_PLAYER_ERROR (clap_player_error_quark ())

/* Why a clip cannot be played; the message of the GError says it to the
 * person, in their language. */
typedef enum
{
  CLAP_PLAYER_ERROR_FAILED,
  CLAP_PLAYER_ERROR_NOT_FOUND,        /* the file is gone or unreadable */
  CLAP_PLAYER_ERROR_NOT_VIDEO,        /* not a media file at all */
  CLAP_PLAYER_ERROR_CORRUPT,          /* a media file, but damaged */
  CLAP_PLAYER_ERROR_MISSING_DECODER,  /* GStreamer lacks a plugin for it */
} ClapPlayerError;

/* A preview player for local clips: the picture, play/pause (Space),
 * a seek bar with the time, loop and volume. The first player made
 * initialises GStreamer if the application has not (gst_init() is safe to
 * have called before). */
#define CLAP_TYPE_PLAYER (clap_player_get_type ())
G_DECLARE_FINAL_TYPE (ClapPlayer, clap_player, CLAP, PLAYER, GtkWidget)

GQuark        clap_player_error_quark   (void);

ClapPlayer   *clap_player_new           (void);

void          clap_player_set_file      (ClapPlayer *self,
                                         GFile      *file);
GFile        *clap_player_get_file      (ClapPlayer *self);

void          clap_player_play          (ClapPlayer *self);
void          clap_player_pause         (ClapPlayer *self);
gboolean      clap_player_get_playing   (ClapPlayer *self);
void          clap_player_set_playing   (ClapPlayer *self,
                                         gboolean    playing);

void          clap_player_seek          (ClapPlayer *self,
                                         gint64      position_us);
gint64        clap_player_get_position  (ClapPlayer *self);
gint64        clap_player_get_duration  (ClapPlayer *self);

gboolean      clap_player_get_loop      (ClapPlayer *self);
void          clap_player_set_loop      (ClapPlayer *self,
                                         gboolean    loop);
gboolean      clap_player_get_muted     (ClapPlayer *self);
void          clap_player_set_muted     (ClapPlayer *self,
                                         gboolean    muted);
double        clap_player_get_volume    (ClapPlayer *self);
void          clap_player_set_volume    (ClapPlayer *self,
                                         double      volume);

GdkPaintable *clap_player_get_paintable (ClapPlayer *self);
const GError *clap_player_get_error     (ClapPlayer *self);

G_END_DECLS
