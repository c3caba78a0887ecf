/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-split-view"

#include "config.h"

#include "clap-split-view.h"

/* Two panes side by side when there is room, stacked when there is not.
 * Its minimum width is that of the stacked layout, so a window can shrink
 * to a phone's 360 px; above the threshold the start pane gets a fixed
 * share and the end pane the rest. (libadwaita's breakpoints do this from
 * 1.4; 1.2 has none.) */

#define SIDE_BY_SIDE_MIN 760
#define START_WIDTH      420
#define STACKED_START_SHARE 0.45

struct _ClapSplitView
{
  GtkWidget  parent_instance;

  GtkWidget *start;
  GtkWidget *end;
  GtkWidget *separator;
  gboolean   stacked;
};

G_DEFINE_FINAL_TYPE (ClapSplitView, clap_split_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_START,
  PROP_END,
  PROP_STACKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clap_split_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  ClapSplitView *self = CLAP_SPLIT_VIEW (widget);
  GtkWidget *children[2] = { self->start, self->end };
  int min = 0, nat = 0;

  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    {
      int child_min = 0, child_nat = 0;

      if (children[i] == NULL || !gtk_widget_get_visible (children[i]))
        continue;

      gtk_widget_measure (children[i], orientation, -1, &child_min, &child_nat, NULL, NULL);
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          /* as small as the stacked layout, as wide as both side by side */
          min = MAX (min, child_min);
          nat += child_nat;
        }
      else
        {
          min = MAX (min, child_min);
          nat = MAX (nat, child_nat);
        }
    }

  *minimum = min;
  *natural = MAX (nat, min);
}

static void
clap_split_view_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  ClapSplitView *self = CLAP_SPLIT_VIEW (widget);
  gboolean stacked = width < SIDE_BY_SIDE_MIN;
  int sep = 0;

  if (self->separator != NULL)
    {
      GtkOrientation orientation = stacked ? GTK_ORIENTATION_HORIZONTAL : GTK_ORIENTATION_VERTICAL;

      /* Only on a change: setting it queues a resize, and from size_allocate
       * that would be a new frame, forever. */
      if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->separator)) != orientation)
        gtk_orientable_set_orientation (GTK_ORIENTABLE (self->separator), orientation);
      gtk_widget_measure (self->separator,
                          stacked ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL,
                          -1, &sep, NULL, NULL, NULL);
    }

  if (!stacked)
    {
      int start_width = MIN (START_WIDTH, width / 2);

      if (self->start != NULL)
        gtk_widget_size_allocate (self->start,
                                  &(GtkAllocation) { 0, 0, start_width, height }, -1);
      if (self->separator != NULL)
        gtk_widget_size_allocate (self->separator,
                                  &(GtkAllocation) { start_width, 0, sep, height }, -1);
      if (self->end != NULL)
        gtk_widget_size_allocate (self->end,
                                  &(GtkAllocation) { start_width + sep, 0,
                                                     width - start_width - sep, height }, -1);
    }
  else
    {
      int start_height = (int) (height * STACKED_START_SHARE);

      if (self->start != NULL)
        gtk_widget_size_allocate (self->start,
                                  &(GtkAllocation) { 0, 0, width, start_height }, -1);
      if (self->separator != NULL)
        gtk_widget_size_allocate (self->separator,
                                  &(GtkAllocation) { 0, start_height, width, sep }, -1);
      if (self->end != NULL)
        gtk_widget_size_allocate (self->end,
                                  &(GtkAllocation) { 0, start_height + sep, width,
                                                     height - start_height - sep }, -1);
    }

  if (self->stacked != stacked)
    {
      self->stacked = stacked;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STACKED]);
    }
}

static void
set_child (ClapSplitView  *self,
           GtkWidget     **slot,
           GtkWidget      *child,
           guint           prop_id)
{
  if (*slot == child)
    return;

  if (*slot != NULL)
    gtk_widget_unparent (*slot);
  *slot = child;
  if (child != NULL)
    {
      if (slot == &self->start)
        gtk_widget_insert_after (child, GTK_WIDGET (self), NULL);
      else
        gtk_widget_insert_before (child, GTK_WIDGET (self), NULL);
    }

  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

GtkWidget *
clap_split_view_get_start (ClapSplitView *self)
{
  g_return_val_if_fail (CLAP_IS_SPLIT_VIEW (self), NULL);
  return self->start;
}

void
clap_split_view_set_start (ClapSplitView *self,
                           GtkWidget     *child)
{
  g_return_if_fail (CLAP_IS_SPLIT_VIEW (self));
  set_child (self, &self->start, child, PROP_START);
}

GtkWidget *
clap_split_view_get_end (ClapSplitView *self)
{
  g_return_val_if_fail (CLAP_IS_SPLIT_VIEW (self), NULL);
  return self->end;
}

void
clap_split_view_set_end (ClapSplitView *self,
                         GtkWidget     *child)
{
  g_return_if_fail (CLAP_IS_SPLIT_VIEW (self));
  set_child (self, &self->end, child, PROP_END);
}

gboolean
clap_split_view_get_stacked (ClapSplitView *self)
{
  g_return_val_if_fail (CLAP_IS_SPLIT_VIEW (self), FALSE);
  return self->stacked;
}

static void
clap_split_view_dispose (GObject *object)
{
  ClapSplitView *self = CLAP_SPLIT_VIEW (object);

  g_clear_pointer (&self->start, gtk_widget_unparent);
  g_clear_pointer (&self->end, gtk_widget_unparent);
  g_clear_pointer (&self->separator, gtk_widget_unparent);

  G_OBJECT_CLASS (clap_split_view_parent_class)->dispose (object);
}

static void
clap_split_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ClapSplitView *self = CLAP_SPLIT_VIEW (object);

  switch (prop_id)
    {
    case PROP_START:
      g_value_set_object (value, self->start);
      break;
    case PROP_END:
      g_value_set_object (value, self->end);
      break;
    case PROP_STACKED:
      g_value_set_boolean (value, self->stacked);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_split_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ClapSplitView *self = CLAP_SPLIT_VIEW (object);

  switch (prop_id)
    {
    case PROP_START:
      clap_split_view_set_start (self, g_value_get_object (value));
      break;
    case PROP_END:
      clap_split_view_set_end (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_split_view_class_init (ClapSplitViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clap_split_view_dispose;
  object_class->get_property = clap_split_view_get_property;
  object_class->set_property = clap_split_view_set_property;
  widget_class->measure = clap_split_view_measure;
  widget_class->size_allocate = clap_split_view_size_allocate;

  properties[PROP_START] =
    g_param_spec_object ("start", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_END] =
    g_param_spec_object ("end", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STACKED] =
    g_param_spec_boolean ("stacked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "splitview");
}

static void
clap_split_view_init (ClapSplitView *self)
{
  self->separator = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_set_parent (self->separator, GTK_WIDGET (self));
}
