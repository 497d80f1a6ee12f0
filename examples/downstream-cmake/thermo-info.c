/* thermo-info: prints what the generated code knows about the topic. */
#include "thermo.nidl.h"

#include <stdio.h>

int main(void)
{
    printf("thermo-info: topic %s carries %s, %zu bytes\n", thermo_readings_topic.name,
           thermo_readings_topic.type->name, sizeof(thermo_Reading));
    return 0;
}
