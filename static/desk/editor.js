/* The editor page's map of hotspots, and adding rows to the two formsets.
 *
 * The form fields are the truth: each hotspot row's latitude and longitude
 * inputs hold its position, a marker only mirrors them. Dragging a marker
 * writes the inputs; typing in the inputs moves the marker. Without this
 * script the page still saves, by hand-typed numbers.
 */
(function () {
  "use strict";

  var config = JSON.parse(
    document.getElementById("desk-map-config").textContent
  );
  var area = config.area;
  var map = null;
  var markers = {}; // form prefix -> L.marker

  function inArea(lat, lng) {
    var m = area.margin;
    return (
      lat >= area.south - m && lat <= area.north + m &&
      lng >= area.west - m && lng <= area.east + m
    );
  }

  function field(row, name) {
    return row.querySelector('[name="' + row.dataset.prefix + "-" + name + '"]');
  }

  function position(row) {
    var lat = parseFloat(field(row, "lat").value);
    var lng = parseFloat(field(row, "lng").value);
    if (isNaN(lat) || isNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) {
      return null;
    }
    return [lat, lng];
  }

  function icon(row, outside) {
    var intensity = field(row, "intensity").value || "2";
    var number = parseInt(row.dataset.index, 10) + 1;
    return L.divIcon({
      className: "desk-pin desk-pin-" + intensity + (outside ? " desk-pin-outside" : ""),
      html: "<span>" + number + "</span>",
      iconSize: [18 + 6 * intensity, 18 + 6 * intensity],
    });
  }

  function flag(row) {
    var at = position(row);
    var note = row.querySelector(".desk-flag");
    var outside = at !== null && !inArea(at[0], at[1]);
    row.classList.toggle("desk-outside", outside);
    if (note) {
      var label = field(row, "label").value || "This hotspot";
      note.textContent = outside
        ? label + " lies outside the area of " + config.topic + "; check its coordinates."
        : "";
    }
    return outside;
  }

  function refresh(row) {
    var marker = markers[row.dataset.prefix];
    var deleted = field(row, "DELETE");
    var at = position(row);
    var outside = flag(row);
    if (!marker) return;
    if (at === null || (deleted && deleted.checked)) {
      if (map.hasLayer(marker)) map.removeLayer(marker);
      return;
    }
    marker.setLatLng(at);
    marker.setIcon(icon(row, outside));
    marker.setTooltipContent(field(row, "label").value || "(no name)");
    if (!map.hasLayer(marker)) marker.addTo(map);
  }

  function attach(row) {
    var at = position(row) || map.getCenter();
    var marker = L.marker(at, {
      draggable: config.editable,
      icon: icon(row, false),
      keyboard: true,
      title: field(row, "label").value,
    });
    marker.bindTooltip(field(row, "label").value || "(no name)", {
      permanent: true,
      direction: "right",
      offset: [12, 0],
      className: "desk-pin-label",
    });
    marker.on("dragend", function () {
      var p = marker.getLatLng();
      field(row, "lat").value = p.lat.toFixed(4);
      field(row, "lng").value = p.lng.toFixed(4);
      row.classList.add("desk-moved");
      refresh(row);
    });
    marker.on("click", function () {
      field(row, "label").focus();
    });
    markers[row.dataset.prefix] = marker;
    marker.addTo(map);
    marker.getElement().dataset.prefix = row.dataset.prefix;
    ["lat", "lng", "label", "intensity", "DELETE"].forEach(function (name) {
      var input = field(row, name);
      if (input) {
        input.addEventListener("input", function () { refresh(row); });
        input.addEventListener("change", function () { refresh(row); });
      }
    });
    refresh(row);
  }

  function addRow(kind) {
    var total = document.getElementById("id_" + kind + "-TOTAL_FORMS");
    var index = parseInt(total.value, 10);
    var template = document.getElementById(kind + "-empty");
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    row.dataset.index = String(index);
    row.querySelector(".desk-n").textContent = String(index + 1);
    document.getElementById(kind + "-rows").appendChild(row);
    total.value = String(index + 1);
    if (kind === "hs") {
      var centre = map.getCenter();
      field(row, "lat").value = centre.lat.toFixed(4);
      field(row, "lng").value = centre.lng.toFixed(4);
      attach(row);
    }
    var first = row.querySelector("input[type=text], textarea");
    if (first) first.focus();
  }

  function drawBorders() {
    fetch(config.bordersUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("borders: HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        L.geoJSON(data, {
          interactive: false,
          style: { color: "#7a7f87", weight: 1, fillColor: "#f2efe6", fillOpacity: 1 },
        }).addTo(map).bringToBack();
        document.getElementById("desk-map").dataset.borders = "ready";
      })
      .catch(function (error) {
        document.getElementById("desk-map").dataset.borders = "failed";
        console.warn(error);
      });
  }

  function start() {
    var bounds = L.latLngBounds(
      [area.south, area.west], [area.north, area.east]
    );
    map = L.map("desk-map", { zoomSnap: 0.25, worldCopyJump: false });
    map.fitBounds(bounds.pad(0.08));
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 18 }).addTo(map);
    } else {
      map.getContainer().style.background = "#cfe0ec";
      drawBorders();
    }
    L.rectangle(bounds, {
      color: "#b5443a", weight: 1.5, dashArray: "6 5", fill: false, interactive: false,
    }).addTo(map);

    document.querySelectorAll("#hs-rows .desk-hotspot").forEach(attach);
    document.querySelectorAll("button.desk-add").forEach(function (button) {
      button.addEventListener("click", function () { addRow(button.dataset.add); });
    });
    document.getElementById("desk-map").dataset.ready = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
