/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clap-player-private.h"

G_BEGIN_DECLS

/* Clips made at test time, once per test program, in a temporary folder
 * removed at exit. */
typedef struct
{
  char  *dir;
  GFile *landscape;   /* 320×180, 30 fps, 3 s, with an AAC track */
  GFile *portrait;    /* 180×320, 30 fps, 2 s, no sound */
  GFile *anamorphic;  /* 240×180 stored, 4:3 pixels: 320×180 shown, 1 s, no sound */
  GFile *truncated;   /* the landscape clip cut in half: its index is gone */
  GFile *text;        /* plain text named .mp4 */
  GFile *missing;     /* a path where no file is */
} PlayerFixtures;

#define LANDSCAPE_DURATION_US (3 * G_USEC_PER_SEC)
#define PORTRAIT_DURATION_US  (2 * G_USEC_PER_SEC)

void                  player_test_init          (int         *argc,
                                                 char      ***argv);
const PlayerFixtures *player_test_fixtures      (void);
GFile                *player_test_make_clip     (const char  *dir,
                                                 const char  *name,
                                                 int          width,
                                                 int          height,
                                                 int          par_n,
                                                 int          par_d,
                                                 int          frames,
                                                 gboolean     with_audio);

GtkWindow            *player_test_window_new    (ClapPlayer  *player);
GtkWindow            *player_test_window_new_with_size (ClapPlayer *player,
                                                        int         width,
                                                        int         height);
void                  player_test_destroy_window (GtkWindow  *window);
gboolean              player_test_texture_has_colour (GdkTexture *texture);
gboolean              player_test_is_playing    (ClapPlayer  *player);
gboolean              player_test_is_prerolled  (ClapPlayer  *player);
gint64                player_test_pipeline_position (ClapPlayer *player);

/* Runs the main context until the condition holds; fails the test after
 * timeout_ms. Conditions, not sleeps, keep the tests both fast and stable. */
void                  _player_test_tick_start   (void);
void                  _player_test_tick_stop    (void);

#define player_test_wait_until(cond, timeout_ms)                                   \
  G_STMT_START {                                                                   \
    gint64 wait_end__ = g_get_monotonic_time () + (gint64) (timeout_ms) * 1000;    \
    _player_test_tick_start ();                                                    \
    while (!(cond))                                                                \
      {                                                                            \
        if (g_get_monotonic_time () > wait_end__)                                  \
          {                                                                        \
            _player_test_tick_stop ();                                             \
            g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC,      \
                                 "timed out waiting for " #cond);                  \
          }                                                                        \
        g_main_context_iteration (NULL, TRUE);                                     \
      }                                                                            \
    _player_test_tick_stop ();                                                     \
  } G_STMT_END

/* Runs the main context for a while, for checks that something does NOT
 * happen (a position that must stay put). */
void                  player_test_run_for       (guint        ms);

G_END_DECLS
